/** Hostile-server suite, sse cases (the table is in cases/sse.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { sseCases } from './cases/sse';

registerSuite('sse', sseCases);
