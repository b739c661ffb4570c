/** The demo backend: one live feed over every pattern, embeddable by the extension, the CLI, tests and benchmarks. */
export { startDemo, type DemoBackend, type DemoOptions, type DemoUrls } from './demoBackend';
export { demoProfiles } from './demoProfiles';
export { Feed, type FeedEvent, type FeedOptions } from './feed';
export { signWebhookBody, WEBHOOK_SIGNATURE_HEADER } from './webhookSender';
