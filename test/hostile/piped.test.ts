/** Hostile-server suite, piped slow consumer with back-pressure (cases/piped.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { pipedCases } from './cases/piped';

// One case per file: each runs a real child process for tens of seconds under load.
registerSuite('piped', pipedCases.slice(0, 1));
