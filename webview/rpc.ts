/**
 * Client side of the host<->webview protocol (src/shared/protocol.ts) over acquireVsCodeApi():
 * typed requests with ids and timeouts, fire-and-forget commands, and notification handlers.
 */
import type { CommandType, HostMessage, NotificationType, ParamsOf, RequestType, ResultOf, WebviewMessage } from '../src/shared/protocol';

/** The part of VS Code's webview API the inspector uses. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Typed protocol client. One per webview load. */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Array<(params: unknown) => void>>();

  constructor(
    private readonly api: VsCodeApi,
    private readonly timeoutMs = 15_000,
  ) {
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  /** Send a request and resolve with the host's result; rejects on an error answer or timeout. */
  request<T extends RequestType<unknown, unknown>>(type: T, params: ParamsOf<T>): Promise<ResultOf<T>> {
    const id = this.nextId++;
    return new Promise<ResultOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type.method} timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const msg: WebviewMessage = { type: 'req', id, method: type.method, params };
      this.api.postMessage(msg);
    });
  }

  /** Send a fire-and-forget command. */
  command<T extends CommandType<unknown>>(type: T, params: ParamsOf<T>): void {
    const msg: WebviewMessage = { type: 'cmd', method: type.method, params };
    this.api.postMessage(msg);
  }

  /** Handle a host notification; returns a function that removes the handler. */
  on<T extends NotificationType<unknown>>(type: T, handler: (params: ParamsOf<T>) => void): () => void {
    const list = this.handlers.get(type.method) ?? [];
    list.push(handler as (p: unknown) => void);
    this.handlers.set(type.method, list);
    return () => {
      const i = list.indexOf(handler as (p: unknown) => void);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Requests still waiting for an answer (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private receive(data: unknown): void {
    // Messages come only from the host, but a malformed one must not break the view.
    if (!data || typeof data !== 'object') return;
    const m = data as HostMessage;
    if (m.type === 'res' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(typeof m.error === 'string' ? m.error : 'request failed'));
    } else if (m.type === 'note' && typeof m.method === 'string') {
      for (const h of this.handlers.get(m.method) ?? []) {
        try {
          h(m.params);
        } catch (err) {
          console.warn(`wirescope: handler for ${m.method} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }
}
