// A stand-in for the VS Code host, loaded before the panel bundle in a real browser: answers the
// panel's requests with synthetic rows (1,000,000 of them) and grows the list on demand.
// The panel (dist/webview.js) is what is under test here; the host side has its own tests.
(function () {
  const XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  // A test may hand in its own rows (window.FAKE_ROWS, set before this script runs).
  const fixed = window.FAKE_ROWS;
  let total = fixed ? fixed.length : 1000000;
  let state = JSON.parse(sessionStorage.getItem('st') || 'null');
  const b64 = (s) => btoa(s);
  function row(i) {
    if (fixed) return fixed[i];
    const id = i + 1;
    if (id % 50 === 0) return { type: 'event', id, ts: 0, mono: id * 1000, kind: id % 100 === 0 ? 'exit' : 'signal-sent', pid: 4242, signal: 'SIGTERM', code: null };
    const req = id % 2 === 1;
    const text = id === 7 ? XSS : `{"method":"Arith.Multiply","params":[{"A":${id},"B":7}],"id":${id}}`;
    return {
      type: 'frame',
      id,
      ts: 0,
      mono: id * 1000,
      tap: 'unix:/tmp/app.sock',
      conn: 1 + (id % 3),
      dir: req ? 'c2s' : 's2c',
      proto: 'jsonrpc',
      len: text.length,
      data: b64(text),
      summary: id === 7 ? XSS : req ? `request Arith.Multiply id=${id}` : `result ${id * 7} id=${id - 1}`,
      decodedJson: id === 7 ? JSON.stringify({ [XSS]: XSS }) : `{"method":"Arith.Multiply","id":${id},"big":18446744073709551615}`,
      ranges: [{ path: '/method', start: 11, end: 26 }],
      pair: req ? { key: String(id), role: 'request' } : { key: String(id - 1), role: 'response', request: id - 1, latencyUs: 1234 },
    };
  }
  function matches(r, f) {
    const m = /conn:(\d+)/.exec(f);
    if (m && r.conn !== Number(m[1])) return false;
    const a = /after:(\d+)/.exec(f);
    if (a && r.id <= Number(a[1])) return false;
    return true;
  }
  function rowsGet(p) {
    const f = p.filter || '';
    if (!f.replace(/after:\d+/, '').trim() && !/after:/.test(f)) {
      const out = [];
      for (let i = p.start; i < Math.min(total, p.start + p.count); i++) out.push(row(i));
      return { rows: out, total };
    }
    // slow path for filters: only over the first 5000 rows (enough for a browser check)
    const all = [];
    for (let i = 0; i < Math.min(total, 5000); i++) {
      const r = row(i);
      if (matches(r, f)) all.push(r);
    }
    return { rows: all.slice(p.start, p.start + p.count), total: all.length };
  }
  function findIndex(id, f) {
    if (!f) return id <= total ? id - 1 : -1;
    let n = 0;
    for (let i = 0; i < Math.min(total, 5000); i++) {
      const r = row(i);
      if (!matches(r, f)) continue;
      if (r.id === id) return n;
      n++;
    }
    return -1;
  }
  const session = {
    id: 's1',
    name: 'demo',
    state: 'live',
    startedAt: 0,
    rows: total,
    frames: total,
    connections: 3,
    processes: [
      { pid: 4242, name: 'server', command: ['./server'], state: 'running' },
      { pid: 4243, name: XSS, command: ['./client'], state: 'exited', code: 0 },
    ],
    taps: [{ spec: 'unix:/tmp/app.sock', kind: 'unix' }],
    connectionList: [{ conn: 1, tap: 'unix:/tmp/app.sock', frames: 1, bytes: 1, open: true, peers: { client: [4243], server: [4242] } }],
    proto: { files: ['/w/demo.proto'], types: ['demo.Note', 'demo.Num'], type: 'demo.Num' },
  };
  window.sent = [];
  window.decodedAs = [];
  window.filters = [];
  window.grow = (n) => {
    const from = total + 1;
    total += n;
    session.rows = total;
    send({ type: 'changed', summary: { ...session, connectionList: undefined }, appended: { from, to: total } });
  };
  function send(m) {
    setTimeout(() => window.postMessage(m, '*'), 1);
  }
  window.acquireVsCodeApi = () => ({
    getState: () => state,
    setState: (s) => {
      state = s;
      sessionStorage.setItem('st', JSON.stringify(s));
    },
    postMessage: (m) => {
      if (m.type === 'ready')
        send({
          type: 'init',
          sessionId: 's1',
          session,
          decoders: [
            { name: 'auto', description: 'sniff' },
            { name: 'lines', description: 'lines' },
            { name: 'protobuf', description: 'protobuf' },
          ],
        });
      if (m.type === 'request') {
        let result = null;
        if (m.method === 'rows/get') {
          window.filters.push(m.params.filter);
          result = rowsGet(m.params);
        } else if (m.method === 'rows/find') result = { index: findIndex(m.params.id, m.params.filter || '') };
        else if (m.method === 'session/get') result = session;
        else if (m.method === 'session/decodeAs') {
          window.decodedAs.push(m.params);
          result = { redecoding: false };
        } else if (m.method === 'signal/send') {
          window.sent.push(m.params);
          result = { outcome: 'exited with code 0' };
        }
        send({ type: 'reply', id: m.id, result });
      }
    },
  });
})();
