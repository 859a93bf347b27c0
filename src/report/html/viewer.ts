/**
 * The report's script, run in the browser: no framework, no network. It draws on two canvases —
 * an overview strip of the whole trace (drawn once) and the swimlanes of the window in view (only
 * the lanes and spans that intersect it, every frame) — and fills the violation list and detail
 * panel with text nodes (never HTML from the trace).
 *
 * Per task lane, top to bottom: locks (holds as bars in their mode, waits hatched), in-lookup
 * (ownership, sleeps hatched), then call frames by depth. `window.kinvReport` exposes what the
 * browser test drives (select, panBy, zoomBy, draw timings).
 */
export const VIEWER_JS = String.raw`
(function () {
  'use strict';
  var P = JSON.parse(document.getElementById('kinv-data').textContent);
  var S = P.strings, N = P.spans.kind.length;
  var KIND = { frame: 0, hold: 1, wait: 2, ilwait: 3, inlookup: 4 };
  var ROW = 14, LABEL = 150, MAXDEPTH = 12;
  var sp = P.spans;
  var start = Float64Array.from(sp.start), end = Float64Array.from(sp.end);
  var useTime = false;
  var startT = sp.startTs ? Float64Array.from(sp.startTs) : null, endT = sp.endTs ? Float64Array.from(sp.endTs) : null;

  // Lanes: per task the rows, per row the span indexes sorted by start, with the running maximum
  // of their ends (monotone), so a window's first candidate is found by binary search.
  var lanes = P.tasks.map(function (t, i) {
    var depth = Math.min(t.depth, MAXDEPTH);
    return { task: i, rows: [], y: 0, height: (3 + depth) * ROW };
  });
  var y = 0;
  lanes.forEach(function (l) { l.y = y; y += l.height + 6; for (var r = 0; r < l.height / ROW; r++) l.rows.push([]); });
  var totalHeight = y;
  function rowOf(i) {
    var k = sp.kind[i];
    if (k === KIND.hold || k === KIND.wait) return 0;
    if (k === KIND.inlookup || k === KIND.ilwait) return 1;
    return 2 + Math.min(sp.depth[i], MAXDEPTH);
  }
  for (var i = 0; i < N; i++) lanes[sp.task[i]].rows[rowOf(i)].push(i);
  function indexRows() {
    var s = useTime ? startT : start, e = useTime ? endT : end;
    lanes.forEach(function (l) {
      l.index = l.rows.map(function (ids) {
        ids.sort(function (a, b) { return s[a] - s[b]; });
        var arr = Int32Array.from(ids), maxEnd = new Float64Array(arr.length), m = -Infinity;
        for (var j = 0; j < arr.length; j++) { m = Math.max(m, e[arr[j]]); maxEnd[j] = m; }
        return { ids: arr, maxEnd: maxEnd };
      });
    });
  }
  indexRows();

  var lo0, hi0;
  function fullRange() {
    if (useTime && startT) {
      var a = Infinity, b = -Infinity;
      for (var j = 0; j < N; j++) { if (startT[j] < a) a = startT[j]; if (endT[j] > b) b = endT[j]; }
      if (a === Infinity) { a = 0; b = 1; }
      lo0 = a; hi0 = b + (b - a) * 0.01 + 1e-6;
    } else { lo0 = P.firstSeq; hi0 = P.lastSeq + 1; }
  }
  fullRange();
  var view = { lo: lo0, hi: hi0, top: 0 };
  var selected = -1, highlight = null;

  var main = document.getElementById('lanes'), ctx = main.getContext('2d');
  var ov = document.getElementById('overview'), octx = ov.getContext('2d');
  var tip = document.getElementById('tip');
  var overviewImage = null;
  var dpr = window.devicePixelRatio || 1;

  var COLORS = { R: '#4e79a7', W: '#f28e2b', none: '#9c755f', il: '#59a14f' };
  function hatch(color) {
    var c = document.createElement('canvas'); c.width = 8; c.height = 8;
    var g = c.getContext('2d'); g.strokeStyle = color; g.lineWidth = 2;
    g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6); g.stroke();
    return ctx.createPattern(c, 'repeat');
  }
  var HATCH = { R: hatch(COLORS.R), W: hatch(COLORS.W), none: hatch(COLORS.none), il: hatch(COLORS.il) };
  var frameColors = {};
  function frameColor(name) {
    var c = frameColors[name];
    if (c) return c;
    var h = 0; for (var j = 0; j < name.length; j++) h = (h * 31 + name.charCodeAt(j)) | 0;
    c = 'hsl(' + (Math.abs(h) % 360) + ',35%,' + (72 + Math.abs(h >> 8) % 12) + '%)';
    frameColors[name] = c; return c;
  }
  function modeName(i) { return sp.mode[i] === 2 ? 'W' : sp.mode[i] === 1 ? 'R' : 'none'; }
  function fillOf(i) {
    var k = sp.kind[i];
    if (k === KIND.frame) return frameColor(S[sp.name[i]]);
    if (k === KIND.hold) return COLORS[modeName(i)];
    if (k === KIND.wait) return HATCH[modeName(i)];
    if (k === KIND.inlookup) return COLORS.il;
    return HATCH.il;
  }
  function pos(seq, ts) { return useTime ? ts : seq; }

  function resize() {
    var w = main.parentElement.clientWidth, h = main.parentElement.clientHeight;
    dpr = window.devicePixelRatio || 1;
    main.width = Math.max(1, w * dpr); main.height = Math.max(1, h * dpr); main.style.width = w + 'px'; main.style.height = h + 'px';
    var ow = ov.parentElement.clientWidth;
    ov.width = Math.max(1, ow * dpr); ov.height = 48 * dpr; ov.style.width = ow + 'px'; ov.style.height = '48px';
    overviewImage = null;
  }

  // The overview: every task as a thin row of its holds and waits over the whole trace, the
  // violations as red ticks. Drawn once per size, then copied.
  function drawOverviewImage() {
    var c = document.createElement('canvas'); c.width = ov.width; c.height = ov.height;
    var g = c.getContext('2d'), W = c.width, H = c.height - 8 * dpr;
    g.fillStyle = '#f7f7f7'; g.fillRect(0, 0, W, c.height);
    var rowH = Math.max(1, H / Math.max(1, lanes.length));
    var s = useTime ? startT : start, e = useTime ? endT : end, span = hi0 - lo0;
    for (var j = 0; j < N; j++) {
      var k = sp.kind[j];
      if (k === KIND.frame && sp.depth[j] > 0) continue;
      var x0 = (s[j] - lo0) / span * W, x1 = Math.max(x0 + 1, (e[j] - lo0) / span * W);
      g.fillStyle = k === KIND.frame ? '#d0d0d0' : k === KIND.hold ? COLORS[modeName(j)] : k === KIND.inlookup ? COLORS.il : '#bbb';
      g.fillRect(x0, sp.task[j] * rowH, x1 - x0, Math.max(1, rowH - (rowH > 3 ? 1 : 0)));
    }
    g.fillStyle = '#d62728';
    P.findings.forEach(function (f) {
      if (!f.at || f.kind !== 'violation') return;
      var x = (pos(f.at.seq, f.at.ts) - lo0) / span * W;
      g.fillRect(x - dpr, H, 2 * dpr, 8 * dpr);
    });
    overviewImage = c;
  }

  function drawOverview() {
    if (!overviewImage) drawOverviewImage();
    octx.clearRect(0, 0, ov.width, ov.height);
    octx.drawImage(overviewImage, 0, 0);
    var W = ov.width, span = hi0 - lo0;
    var x0 = (view.lo - lo0) / span * W, x1 = (view.hi - lo0) / span * W;
    octx.fillStyle = 'rgba(0,0,0,0.12)';
    octx.fillRect(0, 0, x0, ov.height); octx.fillRect(x1, 0, W - x1, ov.height);
    octx.strokeStyle = '#333'; octx.lineWidth = dpr; octx.strokeRect(x0, 0.5, Math.max(2, x1 - x0), ov.height - 1);
  }

  function firstCandidate(ix, lo) {
    var a = 0, b = ix.ids.length;
    while (a < b) { var m = (a + b) >> 1; if (ix.maxEnd[m] < lo) a = m + 1; else b = m; }
    return a;
  }

  var lastDraw = 0, drawn = 0;
  function draw() {
    var t0 = performance.now();
    drawOverview();
    var W = main.width / dpr, H = main.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '10px sans-serif'; ctx.textBaseline = 'middle';
    var plotW = W - LABEL, scale = plotW / (view.hi - view.lo);
    var s = useTime ? startT : start, e = useTime ? endT : end;
    var count = 0;
    for (var li = 0; li < lanes.length; li++) {
      var l = lanes[li], ly = l.y - view.top;
      if (ly > H || ly + l.height < 0) continue;
      ctx.fillStyle = li % 2 ? '#fafafa' : '#f2f4f7';
      ctx.fillRect(LABEL, ly, plotW, l.height);
      for (var r = 0; r < l.index.length; r++) {
        var ix = l.index[r], ry = ly + r * ROW + 1;
        // Runs of narrow spans of one colour are drawn as one rectangle: zoomed out, a pixel holds many.
        var runFill = null, runX0 = 0, runX1 = -1;
        for (var j = firstCandidate(ix, view.lo); j < ix.ids.length; j++) {
          var id = ix.ids[j];
          if (s[id] > view.hi) break;
          if (e[id] < view.lo) continue;
          var x0 = LABEL + (s[id] - view.lo) * scale, x1 = LABEL + (e[id] + (useTime ? 0 : 1) - view.lo) * scale;
          if (x0 < LABEL) x0 = LABEL;
          if (x1 > W) x1 = W;
          if (x1 - x0 < 1) x1 = x0 + 1;
          count++;
          if (x1 - x0 < 3 && !(highlight && highlight.spans[id])) {
            // Within pixels the run already covers, the colour cannot be told apart: extend it.
            if (runFill !== null && x0 <= runX1) { if (x1 > runX1) runX1 = x1; continue; }
            var narrow = fillOf(id);
            if (narrow === runFill && x0 <= runX1 + 1) { if (x1 > runX1) runX1 = x1; continue; }
            if (runFill !== null) { ctx.fillStyle = runFill; ctx.fillRect(runX0, ry, runX1 - runX0, ROW - 2); }
            runFill = narrow; runX0 = x0; runX1 = x1;
            continue;
          }
          ctx.fillStyle = fillOf(id);
          ctx.fillRect(x0, ry, x1 - x0, ROW - 2);
          if (x1 - x0 > 40) {
            ctx.fillStyle = sp.kind[id] === KIND.hold ? '#fff' : '#222';
            var label = sp.kind[id] === KIND.frame ? S[sp.name[id]] : sp.kind[id] === KIND.hold ? S[sp.name[id]] + ' ' + modeName(id) :
              sp.kind[id] === KIND.wait ? 'wait ' + S[sp.name[id]] + ' ' + modeName(id) :
              sp.kind[id] === KIND.inlookup ? S[sp.detail[id]] + ' ' + S[sp.name[id]] : 'sleep on ' + S[sp.name[id]];
            ctx.save(); ctx.beginPath(); ctx.rect(x0, ry, x1 - x0, ROW - 2); ctx.clip();
            ctx.fillText(label, x0 + 3, ry + ROW / 2 - 1); ctx.restore();
          }
          if (highlight && highlight.spans[id]) { ctx.strokeStyle = '#000'; ctx.lineWidth = 2; ctx.strokeRect(x0, ry, x1 - x0, ROW - 2); }
        }
        if (runFill !== null) { ctx.fillStyle = runFill; ctx.fillRect(runX0, ry, runX1 - runX0, ROW - 2); }
      }
      ctx.fillStyle = '#fff'; ctx.fillRect(0, ly, LABEL, l.height);
      ctx.fillStyle = '#222'; ctx.font = 'bold 11px sans-serif';
      var t = P.tasks[l.task];
      ctx.fillText((t.comm || 'pid') + ' ' + t.pid, 4, ly + 7);
      ctx.font = '9px sans-serif'; ctx.fillStyle = '#666';
      ctx.fillText('locks', 96, ly + 7); ctx.fillText('in-lookup', 96, ly + 7 + ROW); ctx.fillText('calls', 96, ly + 7 + 2 * ROW);
      ctx.font = '10px sans-serif';
    }
    drawMarks(W, H, scale);
    drawAxis(W, scale);
    drawn++;
    lastDraw = performance.now() - t0;
    main.dataset.spansDrawn = String(count);
  }

  function laneY(pid) {
    for (var li = 0; li < lanes.length; li++) if (P.tasks[lanes[li].task].pid === pid) return lanes[li].y - view.top;
    return null;
  }
  function xOf(seq, ts, scale) { return LABEL + (pos(seq, ts) + (useTime ? 0 : 0.5) - view.lo) * scale; }

  // Violations as red lines on their task's lane; the selected one's slice as orange marks, joined to it.
  function drawMarks(W, H, scale) {
    P.gaps.forEach(function (g) {
      var x = LABEL + (g.seq - view.lo) * scale;
      if (useTime || x < LABEL || x > W) return;
      ctx.fillStyle = 'rgba(120,120,120,0.35)'; ctx.fillRect(x, 0, 2, H);
    });
    P.findings.forEach(function (f, fi) {
      if (!f.at) return;
      var x = xOf(f.at.seq, f.at.ts, scale), ly = laneY(f.at.pid);
      if (x < LABEL || x > W || ly === null) return;
      ctx.fillStyle = f.kind === 'violation' ? '#d62728' : f.kind === 'unknown' ? '#bcbd22' : '#aaa';
      ctx.fillRect(x - 1, ly, fi === selected ? 3 : 2, lanes[0].height);
    });
    if (!highlight) return;
    var f = P.findings[selected], target = f.at;
    ctx.strokeStyle = 'rgba(214,39,40,0.9)'; ctx.lineWidth = 2;
    var tx = target ? xOf(target.seq, target.ts, scale) : null, ty = target ? laneY(target.pid) : null;
    if (tx !== null && ty !== null) { ctx.beginPath(); ctx.moveTo(tx, 0); ctx.lineTo(tx, H); ctx.stroke(); }
    f.slice.forEach(function (ev) {
      var x = xOf(ev.seq, ev.ts, scale), y = laneY(ev.pid);
      if (y === null) return;
      ctx.fillStyle = '#ff7f0e';
      ctx.beginPath(); ctx.arc(x, y + ROW / 2, 5, 0, 2 * Math.PI); ctx.fill();
      if (tx !== null && ty !== null) {
        ctx.strokeStyle = 'rgba(255,127,14,0.8)'; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(x, y + ROW / 2); ctx.lineTo(tx, ty + ROW / 2); ctx.stroke();
      }
    });
    if (tx !== null && ty !== null) { ctx.fillStyle = '#d62728'; ctx.beginPath(); ctx.arc(tx, ty + ROW / 2, 6, 0, 2 * Math.PI); ctx.fill(); }
  }

  function drawAxis(W, scale) {
    var axis = document.getElementById('axis');
    var step = Math.pow(10, Math.floor(Math.log10((view.hi - view.lo) / 6)));
    var first = Math.ceil(view.lo / step) * step;
    var parts = [];
    for (var v = first; v < view.hi && parts.length < 12; v += step) parts.push(v);
    axis.textContent = (useTime ? 'time (s): ' : 'seq: ') + parts.map(function (v) { return useTime ? v.toFixed(6) : String(Math.round(v)); }).join('   ') +
      '   — window ' + (useTime ? (view.hi - view.lo).toFixed(6) + ' s' : Math.round(view.hi - view.lo) + ' events');
  }

  var pending = false;
  function redraw() { if (pending) return; pending = true; requestAnimationFrame(function () { pending = false; draw(); }); }
  function clampView() {
    var w = Math.min(view.hi - view.lo, hi0 - lo0);
    var minW = useTime ? (hi0 - lo0) / 1e7 : 4;
    if (w < minW) w = minW;
    if (view.lo < lo0) view.lo = lo0;
    view.hi = view.lo + w;
    if (view.hi > hi0) { view.hi = hi0; view.lo = hi0 - w; }
    var H = main.height / dpr;
    view.top = Math.max(0, Math.min(view.top, totalHeight - H + 20));
  }
  function panBy(fraction) { var w = view.hi - view.lo; view.lo += w * fraction; view.hi += w * fraction; clampView(); redraw(); }
  function zoomBy(factor, at) {
    var w = view.hi - view.lo, c = at === undefined ? view.lo + w / 2 : at;
    var nw = w * factor;
    view.lo = c - (c - view.lo) * factor; view.hi = view.lo + nw; clampView(); redraw();
  }
  function scrollBy(px) { view.top += px; clampView(); redraw(); }

  main.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var rect = main.getBoundingClientRect(), x = ev.clientX - rect.left;
    if (ev.ctrlKey || ev.metaKey) zoomBy(ev.deltaY > 0 ? 1.25 : 0.8,
      x > LABEL ? view.lo + (x - LABEL) / (rect.width - LABEL) * (view.hi - view.lo) : undefined);
    else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) panBy((ev.deltaX || ev.deltaY) / rect.width);
    else scrollBy(ev.deltaY);
  }, { passive: false });
  var drag = null;
  main.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, y: ev.clientY, lo: view.lo, hi: view.hi, top: view.top }; });
  window.addEventListener('mouseup', function () { drag = null; });
  window.addEventListener('mousemove', function (ev) {
    if (drag) {
      var rect = main.getBoundingClientRect(), w = drag.hi - drag.lo, d = (ev.clientX - drag.x) / (rect.width - LABEL) * w;
      view.lo = drag.lo - d; view.hi = drag.hi - d; view.top = drag.top - (ev.clientY - drag.y); clampView(); redraw(); return;
    }
    hover(ev);
  });
  function moveOverview(ev) {
    var rect = ov.getBoundingClientRect(), w = view.hi - view.lo;
    var c = lo0 + (ev.clientX - rect.left) / rect.width * (hi0 - lo0);
    view.lo = c - w / 2; view.hi = c + w / 2; clampView(); redraw();
  }
  var ovDrag = false;
  ov.addEventListener('mousedown', function (ev) { ovDrag = true; moveOverview(ev); });
  window.addEventListener('mouseup', function () { ovDrag = false; });
  ov.addEventListener('mousemove', function (ev) { if (ovDrag) moveOverview(ev); });
  window.addEventListener('keydown', function (ev) {
    if (ev.target && ev.target.tagName === 'INPUT') return;
    var k = ev.key.toLowerCase();
    if (k === 'w') zoomBy(0.8); else if (k === 's') zoomBy(1.25); else if (k === 'a') panBy(-0.2); else if (k === 'd') panBy(0.2);
  });
  document.getElementById('zoom-in').onclick = function () { zoomBy(0.5); };
  document.getElementById('zoom-out').onclick = function () { zoomBy(2); };
  document.getElementById('zoom-fit').onclick = function () { view.lo = lo0; view.hi = hi0; clampView(); redraw(); };
  var axisBox = document.getElementById('use-time');
  if (!startT) axisBox.parentElement.style.display = 'none';
  axisBox.onchange = function () {
    useTime = axisBox.checked; indexRows(); fullRange(); view.lo = lo0; view.hi = hi0; overviewImage = null;
    if (selected >= 0) select(selected); else redraw();
  };

  function spanAt(ev) {
    var rect = main.getBoundingClientRect(), x = ev.clientX - rect.left, y = ev.clientY - rect.top + view.top;
    if (x < LABEL) return -1;
    var at = view.lo + (x - LABEL) / (rect.width - LABEL) * (view.hi - view.lo);
    var s = useTime ? startT : start, e = useTime ? endT : end, slack = (view.hi - view.lo) / rect.width * 2;
    for (var li = 0; li < lanes.length; li++) {
      var l = lanes[li];
      if (y < l.y || y >= l.y + l.height) continue;
      var ix = l.index[Math.floor((y - l.y) / ROW)];
      if (!ix) return -1;
      for (var j = firstCandidate(ix, at - slack); j < ix.ids.length; j++) {
        var id = ix.ids[j];
        if (s[id] > at + slack) break;
        if (e[id] + (useTime ? 0 : 1) >= at - slack) return id;
      }
      return -1;
    }
    return -1;
  }
  function hover(ev) {
    var id = spanAt(ev);
    if (id < 0) { tip.style.display = 'none'; return; }
    var kindName = ['call', 'hold', 'wait for', 'sleep on in-lookup', 'in-lookup'][sp.kind[id]];
    tip.textContent = kindName + ' ' + S[sp.name[id]] + (sp.mode[id] ? ' (' + modeName(id) + ')' : '') + ' — ' + S[sp.detail[id]] +
      '\nseq ' + start[id] + '–' + end[id] + (sp.line[id] ? ', line ' + sp.line[id] : '') + (sp.open[id] ? ' (still open at the end)' : '') +
      (startT ? '\nt ' + startT[id].toFixed(6) + '–' + endT[id].toFixed(6) + ' s' : '');
    tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
  }

  // The violation list and the detail of the chosen one.
  var list = document.getElementById('violations');
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  P.findings.forEach(function (f, fi) {
    var li = el('li', 'finding ' + f.kind);
    li.dataset.index = String(fi);
    li.appendChild(el('span', 'inv', f.kind + '[' + f.invariant + ']'));
    li.appendChild(el('span', 'where', f.at ? ' pid ' + f.at.pid + ', seq ' + f.at.seq + (f.at.line ? ', line ' + f.at.line : '') : ''));
    li.appendChild(el('div', 'msg', f.message));
    li.onclick = function () { select(fi); };
    list.appendChild(li);
  });
  document.getElementById('count').textContent = P.findings.filter(function (f) { return f.kind === 'violation'; }).length + ' violations, ' +
    P.findings.filter(function (f) { return f.kind !== 'violation'; }).length + ' other verdicts';

  function select(fi) {
    selected = fi;
    var f = P.findings[fi];
    Array.prototype.forEach.call(list.children, function (li) { li.classList.toggle('selected', li.dataset.index === String(fi)); });
    var marks = {};
    f.slice.forEach(function (ev) { marks[ev.pid + ':' + ev.seq] = true; });
    if (f.at) marks[f.at.pid + ':' + f.at.seq] = true;
    var spans = {};
    for (var j = 0; j < N; j++) {
      var pid = P.tasks[sp.task[j]].pid;
      if (marks[pid + ':' + start[j]] || (!sp.open[j] && marks[pid + ':' + end[j]])) spans[j] = true;
    }
    highlight = { spans: spans };
    main.dataset.highlighted = Object.keys(spans).length + ' spans, ' + f.slice.length + ' slice events';
    // Scroll to it: a window that holds the slice and the violating event, the violating task in view.
    var seqs = f.slice.map(function (ev) { return pos(ev.seq, ev.ts); });
    if (f.at) seqs.push(pos(f.at.seq, f.at.ts));
    if (seqs.length) {
      var a = Math.min.apply(null, seqs), b = Math.max.apply(null, seqs), pad = Math.max((b - a) * 0.15, useTime ? (hi0 - lo0) / 2000 : 8);
      view.lo = a - pad; view.hi = b + pad + (useTime ? 0 : 1);
    }
    var y = f.at ? laneY(f.at.pid) : null;
    if (y !== null) view.top += y - 40;
    clampView();
    showDetail(f);
    redraw();
  }

  function showDetail(f) {
    var d = document.getElementById('detail');
    d.textContent = '';
    d.appendChild(el('h2', f.kind, f.kind + '[' + f.invariant + ']'));
    d.appendChild(el('p', 'msg', f.message));
    if (f.at) d.appendChild(el('p', 'at', 'at ' + (f.at.line ? 'line ' + f.at.line + ', ' : '') + 'seq ' + f.at.seq + ', pid ' + f.at.pid + ': ' + f.at.text));
    if (f.call) d.appendChild(el('p', 'at', 'frame: ' + f.call.text + ' (seq ' + f.call.seq + ')'));
    d.appendChild(el('h3', null, 'rule'));
    d.appendChild(el('p', 'rule', (f.rule || '(no doc comment)').replace(/\n/g, ' ')));
    d.appendChild(el('p', 'spec', 'spec: ' + f.spec));
    d.appendChild(el('h3', null, 'how it happened (the events behind the state the invariant read)'));
    var ol = el('ol', 'slice');
    f.slice.forEach(function (ev) {
      var li = el('li', 'slice-event', (ev.line ? 'line ' + ev.line + ', ' : '') + 'seq ' + ev.seq + ', pid ' + ev.pid + ': ' + ev.text);
      ev.notes.forEach(function (n) { li.appendChild(el('div', 'note', '· ' + n)); });
      ol.appendChild(li);
    });
    if (f.at && f.kind !== 'pending') ol.appendChild(el('li', 'slice-event violating',
      (f.at.line ? 'line ' + f.at.line + ', ' : '') + 'seq ' + f.at.seq + ', pid ' + f.at.pid + ': ' + f.at.text +
      '  ← ' + (f.kind === 'violation' ? 'violates the invariant' : 'cannot tell')));
    d.appendChild(ol);
    f.tasks.forEach(function (t) {
      d.appendChild(el('h3', null,
        'state naming pid ' + t.pid + (t.comm ? ' (' + t.comm + ')' : '') + (f.kind === 'pending' ? ' at the end' : ' at this point')));
      var pre = el('pre', 'state', t.state.length ? t.state.join('\n') : 'no state of the spec names it: it holds nothing the spec follows');
      d.appendChild(pre);
    });
  }

  window.addEventListener('resize', function () { resize(); clampView(); redraw(); });
  resize();
  clampView();
  draw();
  window.kinvReport = {
    select: select, panBy: panBy, zoomBy: zoomBy, scrollBy: scrollBy, draw: draw,
    stats: function () { return { lastDrawMs: lastDraw, draws: drawn, spans: N, lanes: lanes.length, view: { lo: view.lo, hi: view.hi, top: view.top } }; },
  };
  document.body.dataset.ready = String(performance.now());
})();
`;
