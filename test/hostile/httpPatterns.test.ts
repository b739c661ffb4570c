/** Hostile-server suite, httpPatterns cases (the table is in cases/httpPatterns.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { httpPatternCases } from './cases/httpPatterns';

registerSuite('httpPatterns', httpPatternCases);
