/**
 * Composer for sessions that can send: text / hex / base64 payloads, a channel (an MQTT topic, a Redis
 * channel, a Socket.IO event: named by the pattern's `channelLabel`, with QoS and retain where it has
 * `publishOptions`), JSON arguments and an acknowledgement toggle where the capabilities say so (`sendArgs`,
 * `ack`), the profile's saved templates, Send (Ctrl+Enter) and Ping; and where deliveries wait to be settled
 * (`settle`: AMQP's manual ack), Ack, Nack and Requeue of one delivery (the oldest, or the tag typed in).
 */
import { capabilitiesOf } from '../src/patterns';
import type { GraphqlCompletion } from '../src/shared/graphqlCompletion';
import type { PayloadInputEncoding, SessionInfo } from '../src/shared/protocol';
import { checkBase64, parseHex } from './format';
import { GraphqlCompletionList } from './graphqlCompletions';
import { h } from './ui/dom';
import { button, checkbox, dropdown, textArea, textField } from './ui/toolkit';

export interface ComposerActions {
  send(data: string, encoding: PayloadInputEncoding, channel?: string, options?: Record<string, unknown>): Promise<void>;
  ping(): void;
  /** End the session's sending side (half-close). */
  halfClose(): void;
  saveTemplate(name: string, data: string, encoding: PayloadInputEncoding): void;
  /** GraphQL: the root fields of the session's server (the host introspects it once per session). */
  graphqlFields?(sessionId: string): Promise<{ fields: GraphqlCompletion[]; error?: string }>;
}

/** Check the payload against its encoding; returns a one-line problem or undefined. */
export function payloadProblem(data: string, encoding: PayloadInputEncoding): string | undefined {
  if (encoding === 'hex') {
    const r = parseHex(data);
    return 'error' in r ? r.error : undefined;
  }
  if (encoding === 'base64') return checkBase64(data);
  return undefined;
}

/** What the composer shows for a pattern's channel: whether a send needs one, its name, and MQTT's delivery options. */
export function channelField(pattern: string): { needed: boolean; label: string; publishOptions: boolean } {
  const caps = capabilitiesOf(pattern);
  // A send names its topic (MQTT, Redis) or its event (Socket.IO).
  const needed = caps.channel === 'topic' || caps.channel === 'event';
  return { needed, label: caps.channelLabel ?? (caps.channel === 'event' ? 'Event' : 'Topic'), publishOptions: caps.channel === 'topic' && caps.publishOptions !== false };
}

/** A problem with a message that must be one JSON value (a gRPC request message), or undefined. */
export function messageProblem(data: string): string | undefined {
  try {
    JSON.parse(data);
    return undefined;
  } catch {
    return 'The message is not JSON: write the request message as a JSON object, like {"text": "hi"}';
  }
}

/** A problem with JSON arguments (patterns whose sends are JSON arguments: Socket.IO), or undefined. */
export function argsProblem(data: string): string | undefined {
  if (data.trim() === '') return undefined;
  try {
    JSON.parse(data);
    return undefined;
  } catch {
    return 'The arguments are not JSON: a JSON array is the argument list ([1, "a"] is two), any other JSON value is one argument';
  }
}

const TEXT_PLACEHOLDER = 'Message (Ctrl+Enter to send; it stays, selected, to resend or type over)';
const ARGS_PLACEHOLDER = 'Arguments as JSON: ["a", 1] is two arguments, {"x": 1} is one, empty is none (Ctrl+Enter to send)';

/** The composer (#composer). Hidden for sessions that cannot send. */
export class Composer {
  readonly element: HTMLElement;
  private session: SessionInfo | undefined;
  private readonly input;
  private readonly encoding;
  private readonly channel;
  private readonly qos;
  private readonly retain;
  private readonly ack;
  private readonly templates;
  private readonly templateName;
  private readonly sendBtn;
  private readonly pingBtn;
  private readonly halfCloseBtn;
  private readonly settleRow: HTMLElement;
  private readonly settleTag;
  private readonly message: HTMLElement;
  private readonly completions: GraphqlCompletionList;
  private readonly completionStatus: HTMLElement;
  /** The session whose fields the completions hold (or are being asked for). */
  private fieldsFor: string | undefined;

  constructor(private readonly actions: ComposerActions) {
    this.input = textArea({ id: 'composer-input', placeholder: TEXT_PLACEHOLDER, ariaLabel: 'Message to send', rows: 2, onInput: () => this.clearMessage() });
    this.input.title = 'Ctrl+Enter sends. After a send the message stays, selected: send it again, or type to replace it.';
    this.encoding = dropdown({
      id: 'composer-encoding',
      ariaLabel: 'Payload encoding',
      options: [
        { value: 'text', label: 'Text' },
        { value: 'hex', label: 'Hex' },
        { value: 'base64', label: 'Base64' },
      ],
      value: 'text',
      onChange: () => this.clearMessage(),
    });
    this.channel = textField({ id: 'composer-channel', placeholder: 'Topic', ariaLabel: 'Topic' });
    this.qos = dropdown({
      id: 'composer-qos',
      ariaLabel: 'MQTT QoS',
      options: [
        { value: '0', label: 'QoS 0' },
        { value: '1', label: 'QoS 1' },
        { value: '2', label: 'QoS 2' },
      ],
      value: '0',
    });
    this.retain = checkbox({ id: 'composer-retain', label: 'Retain' });
    this.ack = checkbox({ id: 'composer-ack', label: 'Ask for ack' });
    this.ack.title = 'Ask the peer to acknowledge this message; the ack appears as an incoming row with its round trip.';
    this.templates = dropdown({ id: 'composer-templates', ariaLabel: 'Templates', options: [], onChange: (v) => this.useTemplate(v) });
    this.templateName = textField({ id: 'composer-template-name', placeholder: 'Template name', ariaLabel: 'Template name' });
    this.sendBtn = button('Send', { id: 'composer-send', title: 'Send (Ctrl+Enter)', onClick: () => void this.send() });
    this.pingBtn = button('Ping', { id: 'composer-ping', appearance: 'secondary', onClick: () => this.actions.ping() });
    this.halfCloseBtn = button('End sending', {
      id: 'composer-half-close',
      appearance: 'secondary',
      title: 'Half-close: end the sending side; what the peer sends keeps coming',
      onClick: () => {
        this.actions.halfClose();
        this.showMessage('Sending side ended (half-close): responses keep coming', false);
      },
    });
    const saveBtn = button('Save as template', { id: 'composer-save-template', appearance: 'secondary', onClick: () => this.save() });
    this.settleTag = textField({ id: 'composer-settle-tag', placeholder: 'Delivery tag (empty: the oldest)', ariaLabel: 'Delivery tag to settle' });
    this.settleRow = h('div', { cls: 'composer-row', attrs: { 'aria-label': 'Settle a delivery' } },
      this.settleTag,
      button('Ack', { id: 'composer-settle-ack', appearance: 'secondary', title: 'Acknowledge the delivery: it leaves the queue', onClick: () => void this.settle('ack') }),
      button('Nack', { id: 'composer-settle-nack', appearance: 'secondary', title: "Reject it without requeue: dead-lettered if the queue has a dead-letter exchange, else dropped", onClick: () => void this.settle('nack') }),
      button('Requeue', { id: 'composer-settle-requeue', appearance: 'secondary', title: 'Put it back in the queue: delivered again, marked redelivered', onClick: () => void this.settle('requeue') }),
    );
    this.settleRow.hidden = true;
    this.message = h('div', { id: 'composer-message', cls: 'inline-error', role: 'alert' });
    this.message.hidden = true;
    this.completions = new GraphqlCompletionList(this.input, 'composer-completions', () => this.clearMessage());
    this.completionStatus = h('div', { id: 'composer-completions-status', cls: 'composer-hint muted', role: 'status' });
    this.completionStatus.hidden = true;
    this.input.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.completions.hide();
        void this.send();
      }
    });
    this.element = h('section', { id: 'composer', cls: 'composer', attrs: { 'aria-label': 'Send a message' } },
      h('div', { cls: 'composer-row' }, this.encoding, this.channel, this.qos, this.retain, this.ack, this.templates),
      this.input,
      this.completions.element,
      this.completionStatus,
      h('div', { cls: 'composer-row' }, this.sendBtn, this.pingBtn, this.halfCloseBtn, this.templateName, saveBtn),
      this.settleRow,
      this.message,
    );
    this.element.hidden = true;
  }

  /** Show the composer for a session (or hide it). */
  setSession(s: SessionInfo | undefined): void {
    this.session = s;
    this.element.hidden = !s || !s.canSend || s.ended;
    if (!s) return;
    const ch = channelField(s.pattern);
    const caps = capabilitiesOf(s.pattern);
    this.channel.hidden = !ch.needed;
    this.channel.setAttribute('placeholder', ch.label);
    this.channel.setAttribute('aria-label', ch.label);
    this.qos.hidden = !ch.publishOptions;
    this.retain.hidden = !ch.publishOptions;
    this.ack.hidden = caps.ack !== true;
    this.settleRow.hidden = caps.settle !== true;
    // A document or a JSON message is text: no Text/Hex/Base64 choice (and text it is).
    this.encoding.hidden = caps.payloadEncodings === false;
    if (caps.payloadEncodings === false) this.encoding.value = 'text';
    this.input.setAttribute('placeholder', caps.sendPlaceholder ?? (caps.sendArgs === 'json' ? ARGS_PLACEHOLDER : TEXT_PLACEHOLDER));
    this.pingBtn.hidden = !s.canPing;
    this.halfCloseBtn.hidden = s.canHalfClose !== true;
    const templates = s.templates ?? [];
    this.templates.hidden = templates.length === 0;
    this.templates.setOptions([{ value: '', label: 'Templates…' }, ...templates.map((t, i) => ({ value: String(i), label: t.name }))], '');
    this.loadFields(s);
  }

  /** GraphQL: ask once per live session for its fields; a failed introspection leaves one line and plain text. */
  private loadFields(s: SessionInfo): void {
    const wanted = s.pattern === 'graphql' && s.canSend && !s.ended && !!this.actions.graphqlFields;
    if (!wanted) {
      if (this.fieldsFor !== undefined && (s.pattern !== 'graphql' || s.id !== this.fieldsFor)) {
        this.fieldsFor = undefined;
        this.completions.setFields([]);
        this.completionStatus.hidden = true;
      }
      return;
    }
    if (this.fieldsFor === s.id) return;
    const id = s.id;
    this.fieldsFor = id;
    this.completions.setFields([]);
    this.completionStatus.textContent = 'Asking the server for its fields (introspection)…';
    this.completionStatus.hidden = false;
    const done = (fields: GraphqlCompletion[], error?: string) => {
      if (this.fieldsFor !== id) return;
      this.completions.setFields(fields);
      const count = (root: string) => fields.filter((f) => f.root === root).length;
      this.completionStatus.textContent =
        error !== undefined
          ? `No field completions: ${error}. Type the document as text.`
          : fields.length === 0
            ? 'No field completions: the schema has no root fields. Type the document as text.'
            : `Field completions: ${count('query')} query, ${count('mutation')} mutation, ${count('subscription')} subscription (↓ ↑ to choose, Enter or Tab to put one in)`;
    };
    this.actions.graphqlFields!(id).then(
      (r) => done(r.fields, r.error),
      (err: unknown) => done([], err instanceof Error ? err.message : String(err)),
    );
  }

  private useTemplate(value: string): void {
    const t = value === '' ? undefined : this.session?.templates?.[Number(value)];
    if (!t) return;
    this.input.value = t.data;
    this.encoding.value = t.encoding ?? 'text';
    this.clearMessage();
  }

  private clearMessage(): void {
    this.message.hidden = true;
    this.message.textContent = '';
  }

  private showMessage(text: string, isError = true): void {
    this.message.textContent = text;
    this.message.classList.toggle('inline-error', isError);
    this.message.classList.toggle('inline-info', !isError);
    this.message.hidden = false;
  }

  private currentEncoding(): PayloadInputEncoding {
    const v = this.encoding.value;
    return v === 'hex' || v === 'base64' ? v : 'text';
  }

  private async send(): Promise<void> {
    if (!this.session || this.sendBtn.disabled) return;
    const data = this.input.value ?? '';
    const encoding = this.currentEncoding();
    const caps = capabilitiesOf(this.session.pattern);
    const problem = payloadProblem(data, encoding) ?? (caps.sendArgs === 'json' && encoding === 'text' ? (caps.sendPlaceholder ? messageProblem(data) : argsProblem(data)) : undefined);
    if (problem) return this.showMessage(problem);
    const ch = channelField(this.session.pattern);
    const channel = ch.needed ? this.channel.value.trim() : undefined;
    if (ch.needed && !channel) return this.showMessage(caps.channel === 'event' ? `Enter the name of the ${ch.label.toLowerCase()} to emit` : `Enter a ${ch.label.toLowerCase()} to publish to`);
    this.sendBtn.disabled = true;
    try {
      const options = ch.publishOptions ? { qos: Number(this.qos.value) || 0, retain: this.retain.checked } : caps.ack ? { ack: this.ack.checked } : undefined;
      await this.actions.send(data, encoding, channel || undefined, options);
      this.clearMessage();
      // Users often resend the same message, so it stays; selected, so typing replaces it.
      this.selectInput();
    } catch (err) {
      this.showMessage(`Send failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.sendBtn.disabled = false;
    }
  }

  /** Ack, nack or requeue one delivery; the transport says which ones wait, and refuses others in one line. */
  private async settle(how: 'ack' | 'nack' | 'requeue'): Promise<void> {
    if (!this.session) return;
    const raw = (this.settleTag.value ?? '').trim();
    if (raw && !/^\d+$/.test(raw)) return this.showMessage('A delivery tag is a whole number (meta.deliveryTag of the row)');
    try {
      await this.actions.send('', 'text', undefined, raw ? { settle: how, deliveryTag: Number(raw) } : { settle: how });
      this.showMessage(how === 'ack' ? 'Acknowledged' : how === 'nack' ? 'Rejected (nack)' : 'Requeued', false);
      this.settleTag.value = '';
    } catch (err) {
      this.showMessage(`${how === 'ack' ? 'Ack' : how === 'nack' ? 'Nack' : 'Requeue'} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private selectInput(): void {
    this.input.focus();
    // Both the toolkit's text area and a plain <textarea> select their whole text with select().
    (this.input as typeof this.input & { select?: () => void }).select?.();
  }

  private save(): void {
    const name = this.templateName.value.trim();
    const data = this.input.value ?? '';
    const encoding = this.currentEncoding();
    if (!name) return this.showMessage('Enter a template name first');
    const problem = payloadProblem(data, encoding);
    if (problem) return this.showMessage(problem);
    this.actions.saveTemplate(name, data, encoding);
    this.showMessage(`Saved template ${name}`, false);
  }
}
