/** Hostile-server suite, graphql cases (the table is in cases/graphql.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { graphqlCases } from './cases/graphql';

registerSuite('graphql', graphqlCases);
