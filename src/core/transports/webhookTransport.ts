import type { ConnectOptions } from '../../shared/connectOptions';
import { describeError } from '../errors';
import type { Transport, TransportFactory, TransportSink } from '../transport';
import { isLoopbackHost, parseListen, WebhookReceiver } from '../webhookReceiver';

export const createWebhookTransport: TransportFactory = ({ options, sink }) => new WebhookTransport(options, sink);

/**
 * Webhook receiver: Wirescope listens and the user's backend calls it. Each request is an `in` frame
 * and the configured reply an `out` frame. The session's `url` is ignored; `webhook.listen` says where to bind.
 */
class WebhookTransport implements Transport {
  private receiver: WebhookReceiver | undefined;
  private ended = false;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {}

  start(): void {
    void this.open();
  }

  private async open(): Promise<void> {
    const { sink } = this;
    const wh = this.options.webhook ?? {};
    let host: string;
    try {
      host = parseListen(wh.listen).host;
    } catch (err) {
      this.fail(describeError(err).message, 'ERR_INVALID_LISTEN');
      return;
    }
    sink.state('connecting', { meta: { listen: wh.listen ?? '127.0.0.1:0' } });
    const receiver = new WebhookReceiver({ ...wh, sink });
    this.receiver = receiver;
    try {
      await receiver.start();
    } catch (err) {
      const d = describeError(err);
      this.fail(d.message, /already in use/.test(d.message) ? 'EADDRINUSE' : 'ERR_LISTEN');
      return;
    }
    if (this.ended) {
      await receiver.close();
      return;
    }
    if (!isLoopbackHost(host)) {
      sink.error(`listening on a non-loopback address ${host}: other machines can reach this receiver`, 'WARN_NON_LOOPBACK');
    }
    const meta: Record<string, unknown> = { listen: `${receiver.address?.host}:${receiver.address?.port}` };
    if (wh.hmac) {
      const scheme = wh.hmac.scheme ?? (wh.hmac.header ? 'custom' : 'auto');
      meta.hmac = scheme === 'custom' ? { scheme, header: wh.hmac.header ?? 'X-Signature-256', algorithm: wh.hmac.algorithm ?? 'sha256' } : { scheme };
    }
    sink.state('open', { url: receiver.url, meta });
  }

  private fail(message: string, code: string): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.error(message, code);
    this.sink.state('failed', { reason: message });
    void this.receiver?.close();
  }

  async close(reason?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.receiver?.close();
    this.sink.state('closed', { reason: reason ?? 'closed by user' });
  }
}
