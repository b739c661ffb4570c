/** Hostile-server suite, grpc cases (the table is in cases/grpc.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { grpcCases } from './cases/grpc';

registerSuite('grpc', grpcCases);
