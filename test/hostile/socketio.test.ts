/** Hostile-server suite, socketio cases (the table is in cases/socketio.ts; see docs/reliability.md). */
import { registerSuite } from './harness';
import { socketioCases } from './cases/socketio';

registerSuite('socketio', socketioCases);
