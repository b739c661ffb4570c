/** Hostile-server suite, kafka cases (the table is in cases/kafka.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { kafkaCases } from './cases/kafka';

registerSuite('kafka', kafkaCases);
