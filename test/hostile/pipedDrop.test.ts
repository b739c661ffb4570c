/** Hostile-server suite, piped slow consumer with --drop-when-slow (cases/piped.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { pipedCases } from './cases/piped';

registerSuite('piped --drop-when-slow', pipedCases.slice(1));
