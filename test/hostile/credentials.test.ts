/** Hostile-server suite, credentials cases (the table is in cases/credentials.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { credentialCases } from './cases/credentials';

registerSuite('credentials', credentialCases);
