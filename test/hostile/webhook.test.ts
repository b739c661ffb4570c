/** Hostile-server suite, webhook cases (the table is in cases/webhook.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { webhookCases } from './cases/webhook';

registerSuite('webhook', webhookCases);
