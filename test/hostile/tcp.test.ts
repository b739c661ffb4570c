/** Hostile-server suite, tcp cases (the table is in cases/tcp.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { tcpCases } from './cases/tcp';

registerSuite('tcp', tcpCases);
