/** Hostile-server suite, amqp cases (the table is in cases/amqp.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { amqpCases } from './cases/amqp';

registerSuite('amqp', amqpCases);
