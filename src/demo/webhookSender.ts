import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { describeError } from '../core/errors';
import { signAs } from '../core/webhookSignature';
import type { Feed, FeedEvent } from './feed';

/** Header carrying `sha256=<hex HMAC of the body>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'X-Signature-256';

export interface WebhookSenderOptions {
  feed: Feed;
  url: string;
  secret: string;
  /** Per-delivery timeout. */
  timeoutMs?: number;
  /** Deliveries waiting while one is in flight; older ones are dropped past this. */
  maxQueue?: number;
  /** Told about each delivery (status) or failure (error message). */
  onResult?: (r: { seq: number; status?: number; error?: string }) => void;
}

/** `sha256=<hex>` signature of a body, as the sender puts it in {@link WEBHOOK_SIGNATURE_HEADER}. */
export function signWebhookBody(body: string | Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * POSTs each feed event as JSON to a user's URL, one delivery at a time, in order, each signed so the
 * receiver can check it came from here: Standard Webhooks headers (`webhook-id: tick-<seq>`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64>`), which Wirescope's receiver recognises without
 * configuration, and `X-Signature-256: sha256=<hex>` of the body for receivers that check one header.
 */
export class WebhookSender {
  private readonly queue: FeedEvent[] = [];
  private inFlight = false;
  private stopped = false;
  private current: http.ClientRequest | undefined;
  private readonly unsubscribe: () => void;
  /** Deliveries dropped because the receiver was slower than the feed. */
  dropped = 0;
  delivered = 0;
  failed = 0;

  constructor(private readonly o: WebhookSenderOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`Webhook URL must be http: or https:, not ${u.protocol}`);
    this.unsubscribe = o.feed.subscribe((e) => this.enqueue(e));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.queue.length = 0;
    this.current?.destroy();
  }

  private enqueue(e: FeedEvent): void {
    if (this.stopped) return;
    this.queue.push(e);
    if (this.queue.length > (this.o.maxQueue ?? 100)) {
      this.queue.shift();
      this.dropped++;
    }
    if (!this.inFlight) void this.drain();
  }

  private async drain(): Promise<void> {
    this.inFlight = true;
    while (!this.stopped && this.queue.length > 0) {
      const e = this.queue.shift()!;
      const r = await this.deliver(e);
      if (r.error) this.failed++;
      else this.delivered++;
      if (!this.stopped) this.o.onResult?.({ seq: e.seq, ...r });
    }
    this.inFlight = false;
  }

  private deliver(e: FeedEvent): Promise<{ status?: number; error?: string }> {
    const body = JSON.stringify(e);
    const u = new URL(this.o.url);
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: { status?: number; error?: string }) => {
        if (settled) return;
        settled = true;
        this.current = undefined;
        resolve(r);
      };
      const req = mod.request(
        u,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            [WEBHOOK_SIGNATURE_HEADER]: signWebhookBody(body, this.o.secret),
            ...signAs('standard-webhooks', body, this.o.secret, { id: `tick-${e.seq}` }),
            'x-wirescope-event': 'tick',
            'x-wirescope-seq': String(e.seq),
          },
          timeout: this.o.timeoutMs ?? 5000,
        },
        (res) => {
          res.resume();
          res.on('end', () => settle({ status: res.statusCode }));
          res.on('error', (err) => settle({ error: err.message }));
        },
      );
      this.current = req;
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs ?? 5000} ms`)));
      req.on('error', (err) => settle({ error: describeError(err, this.o.url).message }));
      req.end(body);
    });
  }
}
