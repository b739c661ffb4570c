/**
 * Sending from the palette (Send Message…) and from the inspector's composer. Both remember the last
 * topic published to, so an MQTT send without a topic goes where the previous one went.
 */
import { capabilitiesOf } from '../patterns';
import type { PayloadInputEncoding } from '../shared/protocol';
import { sessionArg } from './commandArgs';
import { sendMessageFlow } from './quickInputPrompts';
import type { SessionManager } from './sessionManager';

export class MessageSender {
  private lastTopic: string | undefined;

  constructor(private readonly manager: SessionManager) {}

  /** The Send Message… command: pick a session that can send, then a payload (and topic). */
  async sendMessageCommand(arg: unknown): Promise<void> {
    const m = await sessionArg(this.manager, arg, 'Send Message', (s) => !s.session.ended && s.session.canSend);
    if (!m) return;
    const msg = await sendMessageFlow(m, this.lastTopic);
    if (!msg) return;
    if (msg.channel) this.lastTopic = msg.channel;
    await this.manager.send(m.id, msg.data, msg.encoding, msg.channel);
  }

  /** A send from the inspector's composer. */
  async send(id: string, data: string, encoding: PayloadInputEncoding, channel?: string, options?: Record<string, unknown>): Promise<void> {
    const m = this.manager.get(id);
    // Settling a delivery (AMQP's ack, nack, requeue) names a delivery, not a channel.
    if (options?.settle !== undefined) return this.manager.send(id, data, encoding, undefined, options);
    let topic = channel;
    const caps = m ? capabilitiesOf(m.pattern) : undefined;
    if (m && caps?.channel === 'topic' && !topic) topic = this.lastTopic ?? m.profile.mqtt?.publish?.[0]?.topic ?? m.profile.redis?.publishChannel ?? m.profile.redis?.publish?.[0]?.channel ?? m.profile.nats?.publishSubject ?? m.profile.nats?.publish?.[0]?.subject ?? m.profile.kafka?.produceTopic ?? m.profile.kafka?.produce?.[0]?.topic ?? m.profile.amqp?.publishTo;
    if (m && caps?.channel === 'topic' && !topic) throw new Error(`Enter a ${(caps.channelLabel ?? 'topic').toLowerCase()} to publish to`);
    if (topic) this.lastTopic = topic;
    await this.manager.send(id, data, encoding, topic, options);
  }
}
