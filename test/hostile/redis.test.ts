/** Hostile-server suite, redis cases (the table is in cases/redis.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { redisCases } from './cases/redis';

registerSuite('redis', redisCases);
