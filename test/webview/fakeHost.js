// A fake extension host for the inspector tests, injected before the page loads. It implements
// the real protocol (src/shared/protocol.ts) over an in-page array of events, the way the host
// does: SetFilter builds a filtered index, GetRows slices it, DidAppend pushes batches.
// Configuration comes from window.__HARNESS_CONFIG, set by the harness just before this script.
/* global window */
(function () {
  const config = window.__HARNESS_CONFIG || {};
  const sessions = config.sessions || [];
  const events = {}; // sessionId -> WireEvent[]
  for (const s of sessions) events[s.id] = [];
  for (const [sid, list] of Object.entries(config.events || {})) events[sid] = list.slice();
  const views = new Map(); // filterId -> { sessionId, filter, indices }
  const currentView = {}; // sessionId -> filterId
  let nextFilterId = 1;
  const sent = [];
  const STATE_KEY = 'wirescope-harness-state';
  // A hidden or throttled page runs no animation frames (Chromium pauses them); simulate that.
  if (config.noAnimationFrames) window.requestAnimationFrame = () => 0;
  const failures = Object.assign({}, config.failFirst || {}); // method -> how many of the next requests fail
  // Synthetic sessions hold only a count; rows are made on demand from their index, so a
  // million-row log costs the page nothing and memory figures measure the webview alone.
  const synthetic = Object.assign({}, config.synthetic || {});
  const T0 = Date.UTC(2026, 0, 1);
  function synth(i) {
    const seq = i + 1;
    const data = `{"n":${seq},"msg":"hello ${seq}"}`;
    return { seq, t: seq * 0.02, ts: T0 + Math.floor(seq / 50), kind: 'frame', dir: 'in', size: data.length, encoding: 'utf8', data, channel: 'tick' };
  }

  function matches(e, f, re) {
    if (f.anomaliesOnly && e.kind !== 'anomaly') return false;
    if (f.kinds && !f.kinds.includes(e.kind)) return false;
    if (e.kind === 'frame') {
      if (f.dirs && f.dirs.length && !f.dirs.includes(e.dir)) return false;
      if (f.hideControl && e.meta && e.meta.control === true) return false;
    }
    if (f.channel !== undefined && (e.kind !== 'frame' || e.channel !== f.channel)) return false;
    if (f.text) {
      const hay = [e.data, e.channel, e.reason, e.message, e.cause].filter((x) => typeof x === 'string').join('\n');
      if (re ? !re.test(hay) : !hay.toLowerCase().includes(f.text.toLowerCase())) return false;
    }
    return true;
  }

  function compile(f) {
    return f.text && f.regex ? new RegExp(f.text) : null;
  }

  const droppedBy = {}; // sessionId -> events dropped by the (simulated) cap

  function statsOf(sid) {
    const list = events[sid];
    const s = { events: list.length, dropped: droppedBy[sid] || 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, reconnects: 0, anomalies: 0, msgsPerSec: 0, bytesPerSec: 0, interArrivalMs: null };
    for (const e of list) {
      if (e.kind === 'frame') {
        if (e.dir === 'in') { s.framesIn++; s.bytesIn += e.size; } else { s.framesOut++; s.bytesOut += e.size; }
      } else if (e.kind === 'reconnect') s.reconnects++;
      else if (e.kind === 'anomaly') s.anomalies++;
    }
    s.msgsPerSec = config.rate || 1234;
    s.bytesPerSec = (config.rate || 1234) * 100;
    s.interArrivalMs = 0.81;
    return s;
  }

  function post(msg) {
    window.postMessage(msg, '*');
  }

  const handlers = {
    'webview/ready': () => ({ sessions, selected: config.selected }),
    'log/setFilter': (p) => {
      if (p.sessionId in synthetic) {
        const filterId = nextFilterId++;
        views.set(filterId, { sessionId: p.sessionId, synthetic: true });
        currentView[p.sessionId] = filterId;
        const total = synthetic[p.sessionId];
        return p.keepSeq === undefined ? { filterId, total } : { filterId, total, keepIndex: p.keepSeq <= total ? p.keepSeq - 1 : -1 };
      }
      const list = events[p.sessionId];
      if (!list) throw new Error('unknown session');
      const re = compile(p.filter);
      const indices = [];
      for (let i = 0; i < list.length; i++) if (matches(list[i], p.filter, re)) indices.push(i);
      const filterId = nextFilterId++;
      views.set(filterId, { sessionId: p.sessionId, filter: p.filter, re, indices });
      currentView[p.sessionId] = filterId;
      if (p.keepSeq === undefined) return { filterId, total: indices.length };
      return { filterId, total: indices.length, keepIndex: indices.findIndex((i) => list[i].seq === p.keepSeq) };
    },
    // The activity strip's aggregates, computed like the host's ActivityTracker (fixed 250 ms buckets).
    'session/getActivity': (p) => {
      if (config.noActivity) return { activity: null };
      const bucketMs = 250;
      const msgsIn = [], msgsOut = [], bytesIn = [], bytesOut = [], firstSeq = [];
      const bands = [], markers = [], lat = [];
      let end = 0;
      const list = p.sessionId in synthetic ? [] : events[p.sessionId] || [];
      if (p.sessionId in synthetic) {
        const n = synthetic[p.sessionId];
        end = n * 0.02;
        const buckets = Math.max(1, Math.ceil(end / bucketMs));
        for (let b = 0; b < buckets; b++) {
          const c = Math.min(n, Math.round((b + 1) * bucketMs / 0.02)) - Math.round(b * bucketMs / 0.02);
          msgsIn.push(c * 4); msgsOut.push(0); bytesIn.push(c * 4 * 30); bytesOut.push(0); firstSeq.push(Math.round(b * bucketMs / 0.02) + 1);
        }
        bands.push({ from: 0, to: end, state: 'connected', seq: 1 });
      }
      for (const e of list) {
        end = Math.max(end, e.t);
        const b = Math.floor(e.t / bucketMs);
        while (msgsIn.length <= b) { msgsIn.push(0); msgsOut.push(0); bytesIn.push(0); bytesOut.push(0); firstSeq.push(0); }
        if (!firstSeq[b]) firstSeq[b] = e.seq;
        if (e.kind === 'frame') {
          if (e.dir === 'in') { msgsIn[b] += 4; bytesIn[b] += e.size * 4; } else { msgsOut[b] += 4; bytesOut[b] += e.size * 4; }
        } else if (e.kind === 'state') {
          const st = { open: 'connected', connecting: 'connecting', reconnecting: 'reconnecting', closed: 'down', failed: 'down' }[e.state];
          const last = bands[bands.length - 1];
          if (st && (!last || last.state !== st)) { if (last) last.to = e.t; bands.push({ from: e.t, to: e.t, state: st, seq: e.seq }); }
        } else if (e.kind === 'reconnect' || e.kind === 'anomaly' || e.kind === 'error') markers.push({ t: e.t, seq: e.seq, kind: e.kind });
        else if (e.kind === 'timing' && typeof e.phases.total === 'number') lat.push(e.phases.total);
      }
      const open = bands[bands.length - 1];
      if (open && open.state !== 'down') open.to = end;
      const activity = { durationMs: end, bucketMs, msgsIn, msgsOut, bytesIn, bytesOut, firstSeq, bands, markers };
      if (lat.length) {
        lat.sort((a, b) => a - b);
        const max = lat[lat.length - 1];
        const step = max / 12 || 1;
        const histogram = Array.from({ length: 12 }, (_, i) => ({ upTo: (i + 1) * step, count: 0 }));
        for (const v of lat) histogram[Math.min(11, Math.floor(v / step))].count++;
        activity.latency = { count: lat.length, p50: lat[Math.ceil(lat.length / 2) - 1], p95: lat[Math.ceil(lat.length * 0.95) - 1], max, histogram };
      }
      return { activity };
    },
    'log/locateSeq': (p) => {
      const v = views.get(p.filterId);
      if (!v) throw new Error('unknown filter');
      if (v.synthetic) return { filterId: p.filterId, index: p.seq <= synthetic[v.sessionId] ? p.seq - 1 : -1 };
      const list = events[v.sessionId];
      return { filterId: p.filterId, index: v.indices.findIndex((i) => list[i].seq >= p.seq) };
    },
    'log/getRows': (p) => {
      // Like the host: rows of a replaced view come from the session's current one, with its id.
      const replaced = !views.has(p.filterId) && currentView[p.sessionId] !== undefined;
      if (replaced) p = Object.assign({}, p, { filterId: currentView[p.sessionId] });
      const v = views.get(p.filterId);
      if (!v) throw new Error('unknown filter');
      if (v.synthetic) {
        const total = synthetic[v.sessionId];
        const rows = [];
        for (let i = p.start; i < Math.min(total, p.start + p.count); i++) rows.push(synth(i));
        return { filterId: p.filterId, total, start: p.start, rows };
      }
      const list = events[v.sessionId];
      const rows = v.indices.slice(p.start, p.start + p.count).map((i) => list[i]);
      return { filterId: p.filterId, total: v.indices.length, start: p.start, rows };
    },
    'log/getEvent': (p) => p.sessionId in synthetic ? { event: p.seq <= synthetic[p.sessionId] ? synth(p.seq - 1) : null } : ({ event: (events[p.sessionId] || []).find((e) => e.seq === p.seq) || null }),
    'log/getTimeline': (p) => ({ events: (events[p.sessionId] || []).filter((e) => e.kind !== 'frame' && e.kind !== 'summary') }),
    'session/send': () => {
      if (config.sendFails) throw new Error(config.sendFails);
      return { ok: true };
    },
  };

  /** Append events to a session and push one batched DidAppend, like the host's flush. */
  function append(sid, newEvents) {
    const list = events[sid];
    const from = list.length;
    for (const e of newEvents) list.push(e);
    const filterId = currentView[sid];
    const v = views.get(filterId);
    if (!v) return;
    const tail = [];
    for (let i = from; i < list.length; i++) {
      if (matches(list[i], v.filter, v.re)) {
        v.indices.push(i);
        tail.push(list[i]);
      }
    }
    post({ type: 'note', method: 'log/didAppend', params: { sessionId: sid, filterId, total: v.indices.length, stats: statsOf(sid), tail: tail.slice(-200) } });
  }

  /** Drop the n oldest events, as the host's cap does: positions of every view slide down. */
  function dropOldest(sid, n) {
    events[sid].splice(0, n);
    droppedBy[sid] = (droppedBy[sid] || 0) + n;
    for (const v of views.values()) {
      if (v.sessionId === sid && v.indices) v.indices = v.indices.filter((i) => i >= n).map((i) => i - n);
    }
  }

  /** Generate n small inbound frames in the page (no huge transfer through the test driver). */
  function generate(sid, n, notify) {
    const list = events[sid];
    const batch = [];
    let seq = list.length ? list[list.length - 1].seq : 0;
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < n; i++) {
      seq++;
      const data = `{"n":${seq},"msg":"hello ${seq}"}`;
      batch.push({ seq, t: seq * 0.5, ts: t0 + seq, kind: 'frame', dir: 'in', size: data.length, encoding: 'utf8', data, channel: 'tick' });
    }
    if (notify) append(sid, batch);
    else for (const e of batch) list.push(e);
  }

  /** Grow a synthetic session by `n` rows and push one DidAppend with the newest 200. */
  function grow(sid, n) {
    const from = synthetic[sid];
    synthetic[sid] = from + n;
    const total = synthetic[sid];
    const tail = [];
    for (let i = Math.max(from, total - 200); i < total; i++) tail.push(synth(i));
    const stats = { events: total, dropped: 0, framesIn: total, framesOut: 0, bytesIn: total * 30, bytesOut: 0, reconnects: 0, anomalies: 0, msgsPerSec: 0, bytesPerSec: 0, interArrivalMs: 0.02 };
    post({ type: 'note', method: 'log/didAppend', params: { sessionId: sid, filterId: currentView[sid], total, stats, tail } });
  }

  /** Feed a synthetic session at `rate` rows/s for `seconds`, one batch per `batchMs` like the host. */
  function feed(sid, rate, seconds, batchMs) {
    return new Promise((resolve) => {
      const perBatch = Math.max(1, Math.round((rate * batchMs) / 1000));
      const batches = Math.round((seconds * 1000) / batchMs);
      let done = 0;
      const timer = setInterval(() => {
        grow(sid, perBatch);
        if (++done >= batches) {
          clearInterval(timer);
          resolve(synthetic[sid]);
        }
      }, batchMs);
    });
  }

  /** Replace the host's view of a session without telling the webview (another load's SetFilter). */
  function rebindView(sid) {
    const list = events[sid];
    const filter = {};
    const indices = list.map((_, i) => i);
    const filterId = nextFilterId++;
    // The host keeps one view per session: the replaced one is gone.
    views.delete(currentView[sid]);
    views.set(filterId, { sessionId: sid, filter, re: null, indices });
    currentView[sid] = filterId;
    return filterId;
  }

  window.__host = {
    rebindView,
    failNext(method, n) {
      failures[method] = n;
    },
    grow,
    feed,
    syntheticCount: (sid) => synthetic[sid],
    sent,
    events,
    append,
    generate,
    dropOldest,
    notify(method, params) {
      post({ type: 'note', method, params });
    },
    requests(method) {
      return sent.filter((m) => m.method === method);
    },
  };

  window.acquireVsCodeApi = function () {
    return {
      postMessage(msg) {
        sent.push(JSON.parse(JSON.stringify(msg)));
        if (msg.type === 'cmd' && msg.method === 'log/clear') {
          // Like the host: drop the session's events and its views, then tell the webview.
          const sid = msg.params.sessionId;
          events[sid] = [];
          for (const [id, v] of views) if (v.sessionId === sid) views.delete(id);
          delete currentView[sid];
          setTimeout(() => post({ type: 'note', method: 'log/didReset', params: { sessionId: sid } }), 1);
        }
        if (msg.type !== 'req') return;
        // Answer asynchronously, as the real host does.
        setTimeout(() => {
          const h = handlers[msg.method];
          try {
            if (!h) throw new Error(`unknown method ${msg.method}`);
            if (failures[msg.method] > 0) {
              failures[msg.method]--;
              throw new Error('host busy');
            }
            post({ type: 'res', id: msg.id, ok: true, result: h(msg.params) });
          } catch (err) {
            post({ type: 'res', id: msg.id, ok: false, error: String(err && err.message ? err.message : err) });
          }
        }, 1);
      },
      getState() {
        const s = sessionStorage.getItem(STATE_KEY);
        return s ? JSON.parse(s) : undefined;
      },
      setState(state) {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
      },
    };
  };
})();
