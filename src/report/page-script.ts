/**
 * The report page's own script (inlined into the HTML: no network). It reads
 * the model from `<script type="application/json" id="sealflow-data">`, draws
 * the timeline on a canvas (only the lanes in view), and fills the tables;
 * the long ones (step instances, key releases) are virtualised: only the
 * rows in view exist in the DOM. In the live view it listens to
 * `/events?token=…` (server-sent events) and redraws with each new model.
 *
 * Plain ES2020 in a string: the page runs it as written. Text goes into the
 * DOM only through `textContent` (never `innerHTML`), so nothing in a
 * journal can become markup.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var COLORS = { succeeded: '#2e8b57', retried: '#e69500', failed: '#d62728', lost: '#8e44ad', running: '#1f77b4', interrupted: '#7f8c8d', reused: '#9aa0a6' };
  var ROW = 22, LANE_LABEL = 190;
  var M = JSON.parse(document.getElementById('sealflow-data').textContent);
  var P = M.private || null;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) { if (k === 'text') e.textContent = attrs[k]; else if (k === 'cls') e.className = attrs[k]; else e.setAttribute(k, attrs[k]); }
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function dur(ms) {
    if (ms == null) return '-';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function bytes(n) {
    if (n == null) return '-';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
  }
  function iso(t) { return t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-'; }
  function inst(a) { return a.step + '[' + a.index + ']'; }
  function table(head, rows, cls) {
    return el('table', { cls: cls || '' }, [head ? el('thead', null, [el('tr', null, head.map(function (h) { return el('th', { text: h }); }))]) : null,
      el('tbody', null, rows.map(function (r) { return el('tr', null, r.map(function (c) { return typeof c === 'object' && c !== null ? el('td', null, [c]) : el('td', { text: c == null ? '-' : String(c) }); })); }))]);
  }
  function badge(text, kind) { return el('span', { cls: 'badge ' + kind, text: text }); }

  // ---- summary ----------------------------------------------------------
  function evidenceOf(lane) {
    var a = M.attestations.filter(function (x) { return x.worker === lane.worker && x.session === lane.session && x.decision === 'accepted'; })[0];
    if (a) return a.evidence;
    return lane.platform === 'none' ? 'none' : 'unknown';
  }
  function renderSummary(root) {
    var r = M.run;
    var classes = {};
    M.lanes.forEach(function (l) { var c = evidenceOf(l); classes[c] = (classes[c] || 0) + 1; });
    var platforms = {};
    M.lanes.forEach(function (l) { if (l.platform) platforms[l.platform] = true; });
    var attested = Object.keys(classes).map(function (c) { return classes[c] + ' ' + c; }).join(', ') || 'no workers';
    var allHw = M.lanes.length > 0 && M.lanes.every(function (l) { return evidenceOf(l) === 'hardware'; });
    root.appendChild(table(null, [
      ['run', r.id], ['workflow', r.name + ' (' + r.workflowFile + ')'], ['state', badge(r.state, r.state)],
      ['started', iso(r.startedAt)], ['finished', r.endedAt ? iso(r.endedAt) : '-'],
      ['running time', dur(r.activeMs) + (M.sessions.length > 1 ? ' over ' + M.sessions.length + ' sessions (idle time between them not counted)' : '')],
      ['steps', M.steps.length + ' steps, ' + M.instances.length + ' instances, ' + M.attempts.length + ' attempts, ' + M.reused.length + ' reused'],
      ['workers', M.lanes.length + ' (' + attested + ')' + (allHw ? '' : ' — not every worker ran on verified hardware evidence')],
      ['platforms', Object.keys(platforms).join(', ') || '-'],
      ['encryption', r.encrypted === false ? 'NOT encrypted (--no-encrypt)' : r.encrypted === true ? 'encrypted (age)' : 'not recorded (older journal)'],
      ['receipt', M.receipt ? M.receipt.status : 'not checked (no receipt found for this run)'],
      ['message', r.message || '-'],
    ].concat(r.tornTail ? [['journal', 'ends in a torn line (its master was killed mid-write)']] : []), 'kv'));
  }

  // ---- timeline ---------------------------------------------------------
  // Time axis: the sessions side by side, the idle time between them cut out.
  function axis() {
    var segs = [], total = 0;
    M.sessions.forEach(function (s) {
      var end = s.endedAt || M.lastEventAt || s.startedAt;
      var len = Math.max(1, end - s.startedAt);
      segs.push({ n: s.n, from: s.startedAt, to: end, off: total, len: len });
      total += len;
    });
    var gap = total * 0.03;
    segs.forEach(function (s, i) { s.off += gap * i; });
    total += gap * Math.max(0, segs.length - 1);
    return { segs: segs, total: Math.max(1, total) };
  }
  var TL = null, TL_RESIZE = false;
  function renderTimeline(root) {
    var ax = axis();
    var lanes = M.lanes.map(function (l, i) { return { i: i, l: l, bars: [] }; });
    var reusedLane = M.reused.length ? { i: -1, l: { worker: 'reused (resume)', session: 0, key: 'reused' }, bars: [] } : null;
    M.attempts.forEach(function (a, k) { lanes[a.lane] && lanes[a.lane].bars.push(k); });
    var rows = reusedLane ? lanes.concat([reusedLane]) : lanes;
    var wrap = el('div', { cls: 'tl-wrap', id: 'timeline' });
    var canvas = el('canvas', { id: 'tl-canvas' });
    var tip = el('div', { cls: 'tip', id: 'tl-tip' });
    var spacer = el('div', { cls: 'tl-spacer' });
    spacer.style.height = (rows.length * ROW + 30) + 'px';
    wrap.style.height = Math.min(420, rows.length * ROW + 34) + 'px';
    wrap.appendChild(spacer); wrap.appendChild(canvas); root.appendChild(wrap); root.appendChild(tip);
    root.appendChild(el('p', { cls: 'legend' }, Object.keys(COLORS).map(function (k) { var s = el('span', { cls: 'sw' }); s.style.background = COLORS[k]; return el('span', null, [s, ' ' + k + '  ']); })));
    TL = { ax: ax, rows: rows, wrap: wrap, canvas: canvas, tip: tip };
    wrap.addEventListener('scroll', drawTimeline);
    if (!TL_RESIZE) { TL_RESIZE = true; window.addEventListener('resize', function () { drawTimeline(); }); } // once: it draws the current timeline
    canvas.addEventListener('mousemove', hover);
    canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    drawTimeline();
  }
  function xOf(t, session, W) {
    var s = TL.ax.segs[session - 1];
    if (!s) return LANE_LABEL;
    return LANE_LABEL + ((s.off + Math.min(Math.max(t, s.from), s.to) - s.from) / TL.ax.total) * (W - LANE_LABEL - 10);
  }
  function drawTimeline() {
    var c = TL.canvas, wrap = TL.wrap, dpr = window.devicePixelRatio || 1;
    var W = wrap.clientWidth, H = Math.min(wrap.clientHeight || 400, TL.rows.length * ROW + 30);
    c.style.top = wrap.scrollTop + 'px';
    c.width = W * dpr; c.height = H * dpr; c.style.width = W + 'px'; c.style.height = H + 'px';
    var g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    g.font = '12px system-ui, sans-serif';
    var first = Math.floor(wrap.scrollTop / ROW), last = Math.min(TL.rows.length, first + Math.ceil(H / ROW) + 1);
    for (var r = first; r < last; r++) {
      var y = (r - first) * ROW + 24 - (wrap.scrollTop % ROW);
      var row = TL.rows[r];
      g.fillStyle = r % 2 ? '#f6f7f9' : '#fff'; g.fillRect(0, y, W, ROW);
      g.fillStyle = '#222';
      var name = row.l.worker + (row.l.session ? ' · s' + row.l.session : '') + (row.l.job ? ' · job ' + row.l.job : '') + (row.l.node || row.l.host ? ' @' + (row.l.node || row.l.host) : '');
      g.fillText(name.length > 28 ? name.slice(0, 27) + '…' : name, 4, y + 15);
      if (row.i === -1) {
        M.reused.forEach(function (u) { var x = xOf(u.t, u.session, W); g.fillStyle = COLORS.reused; g.fillRect(x - 2, y + 4, 4, ROW - 8); });
        continue;
      }
      row.bars.forEach(function (k) {
        var a = M.attempts[k];
        var x0 = xOf(a.start, a.session, W), x1 = xOf(a.end || (M.sessions[a.session - 1] || {}).endedAt || M.lastEventAt, a.session, W);
        g.fillStyle = COLORS[a.state] || '#555';
        g.fillRect(x0, y + 3, Math.max(2, x1 - x0), ROW - 6);
      });
      if (row.l.lostAt) { var xl = xOf(row.l.lostAt, row.l.session, W); g.fillStyle = '#000'; g.fillText('✕ lost', xl + 2, y + 15); }
    }
    // header: session boundaries
    g.fillStyle = '#fff'; g.fillRect(0, 0, W, 22);
    TL.ax.segs.forEach(function (s) {
      var x = LANE_LABEL + (s.off / TL.ax.total) * (W - LANE_LABEL - 10);
      g.fillStyle = '#444'; g.fillRect(x, 0, 1, H);
      g.fillText('session ' + s.n + (s.n > 1 ? ' (resume)' : '') + ' ' + dur(s.to - s.from), x + 3, 14);
    });
  }
  function hover(ev) {
    var rect = TL.canvas.getBoundingClientRect(), W = TL.wrap.clientWidth;
    var r = Math.floor((ev.clientY - rect.top - 24 + (TL.wrap.scrollTop % ROW)) / ROW) + Math.floor(TL.wrap.scrollTop / ROW);
    var row = TL.rows[r];
    var hit = null;
    if (row && row.i !== -1) row.bars.forEach(function (k) {
      var a = M.attempts[k];
      var x0 = xOf(a.start, a.session, W), x1 = xOf(a.end || M.lastEventAt, a.session, W);
      if (ev.clientX - rect.left >= x0 - 1 && ev.clientX - rect.left <= Math.max(x0 + 2, x1) + 1) hit = a;
    });
    if (!hit) { TL.tip.style.display = 'none'; return; }
    TL.tip.textContent = inst(hit) + ' attempt ' + hit.attempt + ' (session ' + hit.session + '): ' + hit.state + ', ' + dur((hit.end || M.lastEventAt) - hit.start) + (hit.message ? ' — ' + hit.message : '');
    TL.tip.style.display = 'block'; TL.tip.style.left = (ev.pageX + 12) + 'px'; TL.tip.style.top = (ev.pageY + 12) + 'px';
  }

  // ---- virtualised tables -----------------------------------------------
  function virtual(root, id, head, count, rowAt) {
    var box = el('div', { cls: 'vbox', id: id });
    box.style.height = Math.min(360, count * ROW + 40) + 'px';
    var tbl = el('table', { cls: 'vt' });
    var thead = el('thead', null, [el('tr', null, head.map(function (h) { return el('th', { text: h }); }))]);
    var tbody = el('tbody');
    tbl.appendChild(thead); tbl.appendChild(tbody);
    var pad = el('div'); pad.style.height = (count * ROW) + 'px';
    box.appendChild(tbl); box.appendChild(pad); root.appendChild(box);
    function draw() {
      var first = Math.max(0, Math.floor(box.scrollTop / ROW) - 5), n = Math.ceil((box.clientHeight || 400) / ROW) + 10;
      tbl.style.transform = 'translateY(' + (first * ROW) + 'px)';
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      for (var i = first; i < Math.min(count, first + n); i++) {
        tbody.appendChild(el('tr', null, rowAt(i).map(function (c) { return typeof c === 'object' && c !== null ? el('td', null, [c]) : el('td', { text: c == null ? '-' : String(c) }); })));
      }
    }
    box.addEventListener('scroll', draw);
    draw();
  }
  function renderStepTotals(root) {
    var by = {};
    M.steps.forEach(function (s) { by[s] = { n: {}, attempts: 0, ok: 0, failed: 0, wall: 0, inB: 0, outB: 0, reused: 0 }; });
    M.instances.forEach(function (i) { var b = by[i.step]; if (b) { b.n[i.index] = 1; if (i.state === 'succeeded') b.ok++; if (i.state === 'failed') b.failed++; if (i.reused) b.reused++; } });
    M.attempts.forEach(function (a) {
      var b = by[a.step], u = a.usage || {}; if (!b) return; b.attempts++; if (a.end) b.wall += a.end - a.start; if (a.bytesIn != null) { b.inB += a.bytesIn; b.inK = true; } if (a.bytesOut != null) { b.outB += a.bytesOut; b.outK = true; }
      if (u.cpuMs != null) b.cpu = (b.cpu || 0) + u.cpuMs; if (u.maxRssBytes != null) b.rss = Math.max(b.rss || 0, u.maxRssBytes); if (u.threadsUsed != null) b.thr = Math.max(b.thr || 0, u.threadsUsed);
    });
    var nr = function (v, f) { return v == null ? 'not recorded' : f ? f(v) : v; };
    virtual(root, 'step-totals', ['step', 'instances', 'succeeded', 'failed', 'reused', 'attempts', 'wall (sum)', 'CPU (sum)*', 'peak memory (max)*', 'threads used (max)*', 'bytes in', 'bytes out'], M.steps.length, function (i) {
      var s = M.steps[i], b = by[s];
      return [s, Object.keys(b.n).length, b.ok, b.failed, b.reused, b.attempts, dur(b.wall), nr(b.cpu, dur), nr(b.rss, bytes), nr(b.thr), b.inK ? bytes(b.inB) : '-', b.outK ? bytes(b.outB) : '-'];
    });
    root.appendChild(el('p', { cls: 'note', text: '* reported by the worker: the master cannot measure it itself (see the attempts below).' }));
  }
  function renderSteps(root) {
    var laneName = function (a) { var l = M.lanes[a.lane]; return l ? l.worker + (l.host ? '@' + l.host : '') : '-'; };
    virtual(root, 'attempts', ['instance', 'attempt', 'session', 'worker', 'state', 'wall', 'CPU*', 'peak memory*', 'bytes in', 'bytes out', 'threads asked', 'threads used*', 'exit'], M.attempts.length, function (i) {
      var a = M.attempts[i], u = a.usage || {};
      return [inst(a), a.attempt, a.session, laneName(a), badge(a.state, a.state), a.end ? dur(a.end - a.start) : '-', u.cpuMs != null ? dur(u.cpuMs) : 'not recorded',
        u.maxRssBytes != null ? bytes(u.maxRssBytes) : 'not recorded', bytes(a.bytesIn), bytes(a.bytesOut), a.threadsAsked != null ? a.threadsAsked : 'not recorded', u.threadsUsed != null ? u.threadsUsed : 'not recorded',
        a.exitStatus == null ? (a.signal || '-') : a.exitStatus];
    });
    root.appendChild(el('p', { cls: 'note', text: '* reported by the worker: the master cannot measure it itself. "not recorded": the journal of this run does not hold it. Bytes are ciphertext sizes the master recorded.' }));
  }
  function renderWorkers(root) {
    root.appendChild(table(['worker', 'session', 'deployment', 'connector', 'host / job', 'platform', 'evidence', 'measurement', 'TCB', 'debug', 'verified at', 'lost'],
      M.lanes.map(function (l) {
        var a = M.attestations.filter(function (x) { return x.worker === l.worker && x.session === l.session; }).pop();
        return [l.worker, l.session, l.deployment, l.connector, (l.job ? 'job ' + l.job + (l.node ? ' on ' + l.node : '') : l.host), l.platform, badge(evidenceOf(l), 'ev-' + evidenceOf(l).replace(' ', '-')),
          a && a.measurement ? a.measurement : '-', a && a.tcbStatus, a && a.debug != null ? (a.debug ? 'ON' : 'off') : '-', a ? iso(a.t) + (a.decision === 'refused' ? ' (refused: ' + (a.reason || '') + ')' : '') : '-',
          l.lostAt ? iso(l.lostAt) + ': ' + (l.lostReason || '') : '-'];
      }), 'workers'));
    var refused = M.attestations.filter(function (a) { return a.decision === 'refused'; });
    if (refused.length) root.appendChild(table(['slot', 'refused at', 'reason'], refused.map(function (a) { return [a.worker, iso(a.t), a.reason]; })));
  }
  function renderKeys(root) {
    virtual(root, 'keys', ['time', 'session', 'worker', 'attempt', 'decision', 'files (id: ciphertext SHA-256)'], M.keyReleases.length, function (i) {
      var k = M.keyReleases[i];
      return [iso(k.t), k.session, k.worker, k.attempt, k.decision + (k.reason ? ' (' + k.reason + ')' : ''), k.files.map(function (f) { var n = P && P.fileNames ? P.fileNames[f.label] : null; return f.label + (n ? ' (' + n + ')' : '') + ': ' + f.sha256.slice(0, 16) + '…'; }).join(', ')];
    });
  }
  function renderFailures(root) {
    var f = M.attempts.filter(function (a) { return a.state === 'failed' || a.state === 'retried' || a.state === 'lost'; });
    if (!f.length) { root.appendChild(el('p', { text: 'No attempt failed.' })); return; }
    f.forEach(function (a) {
      var key = inst(a);
      var tail = P && P.stderr ? P.stderr[a.session + ':' + key] : null;
      root.appendChild(el('div', { cls: 'failure' }, [
        el('h3', { text: key + ' attempt ' + a.attempt + ' (session ' + a.session + '): ' + a.state }),
        el('p', { text: 'exit status ' + (a.exitStatus == null ? '-' : a.exitStatus) + (a.signal ? ', signal ' + a.signal : '') + (a.message ? ': ' + a.message : '') }),
        tail != null ? el('pre', { cls: 'stderr', text: tail }) : el('p', { cls: 'note', text: P ? 'no stderr log for this instance' : 'stderr is encrypted: give the owner identity (--identity) to include its tail' }),
      ]));
    });
  }

  // The live view redraws with each new model: the scroll positions of the page and its boxes survive it.
  var SCROLLERS = ['timeline', 'step-totals', 'attempts', 'keys'];
  function render() {
    var kept = {}, pageY = window.scrollY;
    SCROLLERS.forEach(function (id) { var e = document.getElementById(id); if (e) kept[id] = e.scrollTop; });
    renderAll();
    SCROLLERS.forEach(function (id) { var e = document.getElementById(id); if (e && kept[id]) e.scrollTop = kept[id]; });
    if (pageY) window.scrollTo(0, pageY);
  }
  function renderAll() {
    var main = document.getElementById('main');
    while (main.firstChild) main.removeChild(main.firstChild);
    var sec = function (title, id) { var s = el('section', { id: id }, [el('h2', { text: title })]); main.appendChild(s); return s; };
    renderSummary(sec('Summary', 'summary'));
    if (P && P.inputs) sec('Inputs (the owner\'s view)', 'owner-inputs').appendChild(table(['input', 'value'], Object.keys(P.inputs).map(function (k) { return [k, P.inputs[k]]; })));
    renderTimeline(sec('Timeline: one lane per worker', 'lanes'));
    renderStepTotals(sec('Steps', 'step-summary'));
    renderSteps(sec('Step attempts', 'steps'));
    renderWorkers(sec('Workers and attestation', 'workers'));
    renderKeys(sec('Key releases (file ids only, never keys)', 'key-releases'));
    renderFailures(sec('Failures', 'failures'));
    document.body.setAttribute('data-rendered', String(M.attempts.length));
    document.body.setAttribute('data-render-ms', String(Math.round(performance.now())));
  }
  render();
  if (window.SEALFLOW_LIVE) {
    var token = new URLSearchParams(location.search).get('token') || '';
    var es = new EventSource('/events?token=' + encodeURIComponent(token));
    es.addEventListener('model', function (ev) { M = JSON.parse(ev.data); P = null; render(); document.getElementById('live').textContent = 'live: updated ' + iso(M.lastEventAt); });
    es.onerror = function () { document.getElementById('live').textContent = 'live: disconnected'; };
  }
})();
`;
