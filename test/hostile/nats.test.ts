/** Hostile-server suite, nats cases (the table is in cases/nats.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { natsCases } from './cases/nats';

registerSuite('nats', natsCases);
