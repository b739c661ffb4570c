/** Hostile-server suite, ws cases (the table is in cases/ws.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { wsCases } from './cases/ws';

registerSuite('ws', wsCases);
