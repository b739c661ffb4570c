/** Hostile-server suite, conversation cases: smtp and imap (the table is in cases/conversations.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { conversationCases } from './cases/conversations';

registerSuite('conversations', conversationCases);
