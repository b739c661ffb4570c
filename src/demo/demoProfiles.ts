import type { Profile } from '../shared/profile';
import type { DemoUrls } from './demoBackend';

/**
 * One profile per pattern, pointing at a running demo backend. The one definition: the extension's
 * "Start Demo Backend", `npm start` (from the demo's index route) and the end-to-end workspace use it.
 * The webhook receiver profile listens where the demo sends its webhooks, when it sends any.
 */
export function demoProfiles(urls: DemoUrls): Profile[] {
  const profiles: Profile[] = [
    { name: 'REST items', pattern: 'http', url: urls.items, method: 'GET' },
    { name: 'WebSocket feed', pattern: 'ws', url: urls.ws, templates: [{ name: 'hello', data: 'hello from Wirescope' }, { name: 'json', data: '{"type":"ping"}' }] },
    { name: 'SSE feed', pattern: 'sse', url: urls.sse, idField: 'sse-id' },
    { name: 'Short polling', pattern: 'poll', url: urls.poll, poll: { intervalMs: 1000 } },
    // The demo answers {events, cursor}; the next request carries that cursor.
    { name: 'Long polling', pattern: 'long-poll', url: urls.longPoll, longPoll: { cursorField: '$.cursor' } },
    { name: 'HTTP stream', pattern: 'stream', url: urls.stream },
    { name: 'Async job', pattern: 'async', url: urls.jobs, method: 'POST', body: '{"work":"demo"}', headers: { 'Content-Type': 'application/json' } },
  ];
  if (urls.webhookTarget) {
    const target = new URL(urls.webhookTarget);
    profiles.push({ name: 'Webhook receiver', pattern: 'webhook', url: `http://${target.host}`, webhook: { listen: target.host } });
  }
  if (urls.mqtt) profiles.push({ name: 'MQTT feed', pattern: 'mqtt', url: urls.mqtt, mqtt: { protocolVersion: 5, subscribe: [{ topic: 'feed/#', qos: 0 }] } });
  return profiles;
}
