/** Hostile-server suite, capture proxy cases (the table is in cases/proxy.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { proxyCases } from './cases/proxy';

registerSuite('proxy', proxyCases);
