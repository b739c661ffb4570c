import type { ConnectOptions } from '../../shared/connectOptions';
import { describeError } from '../errors';
import { redactUrl } from '../httpClient';
import { CaptureProxy, ProxyStartError, type ProxyConnectionInfo, type ProxyFault } from '../proxy/captureProxy';
import type { Transport, TransportFactory, TransportSink } from '../transport';
import { Emitter } from '../emitter';

export const createProxyTransport: TransportFactory = ({ options, sink }) => new ProxyTransport(options, sink);

/**
 * The capture proxy as a session: its first event is `open` with the proxy's URL, every decoded
 * exchange is an event of the same session, and the end of the session stops the proxy (its
 * connections are closed cleanly). The live connections and faults are reached through
 * `Session.proxy`.
 */
export class ProxyTransport implements Transport {
  proxy: CaptureProxy | undefined;
  private ended = false;
  private readonly changed = new Emitter<void>();
  /** Connections opened, closed or changed fault. */
  readonly onDidChangeConnections = this.changed.event;

  constructor(
    private readonly options: ConnectOptions,
    private readonly sink: TransportSink,
  ) {}

  start(): void {
    void this.open();
  }

  private async open(): Promise<void> {
    const po = this.options.proxy ?? {};
    let proxy: CaptureProxy;
    try {
      proxy = new CaptureProxy({
        ...po,
        target: po.forward ? undefined : this.options.url,
        tls: this.options.tls,
        connectTimeoutMs: this.options.connectTimeoutMs,
        previewLimit: this.sink.previewLimit,
        sink: this.sink,
      });
    } catch (err) {
      this.fail(describeError(err).message, 'ERR_INVALID_URL');
      return;
    }
    this.proxy = proxy;
    proxy.onDidChangeConnections(() => this.changed.fire());
    try {
      await proxy.probe();
      if (this.ended) return;
      await proxy.start();
    } catch (err) {
      if (err instanceof ProxyStartError) this.fail(err.message, err.code);
      else {
        const d = describeError(err);
        this.fail(d.message, d.code ?? 'ERR_LISTEN');
      }
      return;
    }
    if (this.ended) {
      await proxy.close(0);
      return;
    }
    const meta: Record<string, unknown> = { listen: proxy.listenAddress, mode: po.forward ? 'forward' : 'reverse' };
    if (!po.forward) meta.target = redactUrl(this.options.url);
    if (po.allowRemote && !/^(127\.|\[?::1\]?|localhost)/.test(proxy.listenAddress)) meta.remote = true;
    this.sink.state('open', { url: proxy.url, meta });
  }

  private fail(message: string, code: string): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.error(message, code);
    this.sink.state('failed', { reason: message });
    void this.proxy?.close(0);
  }

  connections(): ProxyConnectionInfo[] {
    return this.proxy?.connections() ?? [];
  }

  inject(connId: string, fault: ProxyFault): number {
    return this.proxy?.inject(connId, fault) ?? 0;
  }

  async close(reason?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const proxy = this.proxy;
    if (proxy) {
      await proxy.close();
      this.sink.summarize({ proxy: { ...proxy.totals, recording: proxy.recording } });
    }
    this.sink.state('closed', { reason: reason ?? 'closed by user' });
    this.changed.fire();
  }
}
