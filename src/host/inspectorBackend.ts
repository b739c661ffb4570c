/**
 * The inspector's backend over a SessionManager: the one adapter the extension, the endpoint tests
 * and the UI bench all use. No `vscode` here; the actions that need VS Code (export dialog,
 * clipboard, template saving) are passed in.
 */
import type { InspectorBackend } from './inspectorEndpoint';
import type { SessionManager } from './sessionManager';

/** The backend actions that are not plain SessionManager calls. */
export type InspectorActions = Pick<InspectorBackend, 'exportLog' | 'copy' | 'saveTemplate' | 'batchIntervalMs'> & Partial<Pick<InspectorBackend, 'send' | 'addExpectation' | 'reconnect' | 'openPayload'>>;

/** An InspectorBackend that reads sessions and logs from `manager` and delegates the rest to `actions`. */
export function sessionManagerBackend(manager: SessionManager, actions: InspectorActions): InspectorBackend {
  return {
    sessions: () => manager.infos(),
    selected: () => manager.selected,
    log: (id) => manager.get(id)?.log,
    sanitize: (id, e) => manager.sanitize(id, e),
    onDidChangeSessions: manager.onDidChangeSessions,
    onDidAppend: manager.onDidAppend,
    onDidReset: manager.onDidReset,
    send: actions.send ?? ((id, data, encoding, channel, options) => manager.send(id, data, encoding, channel, options)),
    ping: (id) => manager.ping(id),
    halfClose: (id) => manager.halfClose(id),
    disconnect: (id) => manager.disconnect(id),
    reconnect: actions.reconnect ?? ((id) => manager.reconnect(id)),
    proxyFault: (id, conn, fault) => {
      const m = manager.get(id);
      if (!m?.session.proxy || m.session.ended) throw new Error('That capture proxy is not running');
      if (m.session.proxy.inject(conn, { type: fault }) === 0) throw new Error(`Connection ${conn} is already closed`);
    },
    clear: (id) => manager.clear(id),
    exportLog: actions.exportLog,
    select: (id) => manager.select(id),
    copy: actions.copy,
    saveTemplate: actions.saveTemplate,
    ...(actions.addExpectation ? { addExpectation: actions.addExpectation } : {}),
    batchIntervalMs: actions.batchIntervalMs,
    activity: (id) => manager.activity(id),
    graphqlFields: (id) => manager.graphqlFields(id),
    ...(actions.openPayload ? { openPayload: actions.openPayload } : {}),
  };
}
