import type { PatternId } from '../shared/connectOptions';
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

export function isPatternAvailable(pattern: PatternId): boolean {
  return pattern in loaders;
}

export const loadTransport: TransportLoader = async (pattern) => {
  const load = loaders[pattern];
  if (!load) throw new Error(`The ${pattern} pattern is not available in this build`);
  return load();
};
