/** Hostile-server suite, http cases (the table is in cases/http.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { httpCases } from './cases/http';

registerSuite('http', httpCases);
