import type { PatternId } from '../shared/connectOptions';
import { descriptorOf } from '../patterns';
import type { TransportFactory } from './transport';

export type TransportLoader = (pattern: PatternId) => Promise<TransportFactory>;

/**
 * Pattern id -> transport module, loaded on first use so that activation and CLI start-up
 * stay light (a session of one pattern never evaluates another pattern's library).
 */
const loaders: Partial<Record<PatternId, () => Promise<TransportFactory>>> = {
  http: async () => (await import('./transports/httpTransport')).createHttpTransport,
  ws: async () => (await import('./transports/wsTransport')).createWsTransport,
  sse: async () => (await import('./transports/sseTransport')).createSseTransport,
  mqtt: async () => (await import('./transports/mqttTransport')).createMqttTransport,
  webhook: async () => (await import('./transports/webhookTransport')).createWebhookTransport,
  poll: async () => (await import('./transports/pollTransport')).createPollTransport,
  'long-poll': async () => (await import('./transports/longPollTransport')).createLongPollTransport,
  stream: async () => (await import('./transports/streamTransport')).createStreamTransport,
  async: async () => (await import('./transports/asyncTransport')).createAsyncTransport,
  proxy: async () => (await import('./transports/proxyTransport')).createProxyTransport,
};

/**
 * A pattern built the new way keeps its transport next to its descriptor: `src/patterns/<id>/transport.ts`
 * exporting `createTransport`. The bundler includes every such file (lazily evaluated), so a new pattern
 * needs no line here.
 */
async function loadPatternFolder(pattern: string): Promise<TransportFactory> {
  const mod = (await import(`../patterns/${pattern}/transport.ts`)) as { createTransport?: TransportFactory };
  if (!mod.createTransport) throw new Error(`src/patterns/${pattern}/transport.ts does not export createTransport`);
  return mod.createTransport;
}

export function isPatternAvailable(pattern: PatternId): boolean {
  return pattern in loaders || descriptorOf(pattern) !== undefined;
}

export const loadTransport: TransportLoader = async (pattern) => {
  const load = loaders[pattern];
  if (load) return load();
  if (!descriptorOf(pattern)) throw new Error(`The ${pattern} pattern is not available in this build`);
  return loadPatternFolder(pattern);
};
