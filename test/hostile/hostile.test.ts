/**
 * The hostile-server suite: every pattern against peers that break the rules (malformed framing,
 * stalls, resets, floods, bombs, credentials, escape sequences). Cases are rows of tables keyed by
 * pattern (test/hostile/cases/); the harness classifies each failure and prints the totals at the end.
 */
import { registerSuite } from './harness';
import { credentialCases } from './cases/credentials';
import { httpCases } from './cases/http';
import { httpPatternCases } from './cases/httpPatterns';
import { pipedCases } from './cases/piped';
import { sseCases } from './cases/sse';
import { webhookCases } from './cases/webhook';
import { wsCases } from './cases/ws';

registerSuite([...httpCases, ...sseCases, ...wsCases, ...httpPatternCases, ...webhookCases, ...credentialCases, ...pipedCases]);
