#include "scenarios/report/report_assets.h"

namespace fleetsim {

const char* const kReportCss = R"CSS(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px;
       color: #222; background: #fff; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 20px 0 6px; }
header p { margin: 0 0 12px; color: #555; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 12px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: left;
         vertical-align: top; }
th { font-weight: 600; }
details { margin: 8px 0; font-size: 13px; }
.warn { color: #b00020; }
#charts { display: flex; flex-wrap: wrap; gap: 16px; }
section.chart { flex: 1 1 100%; border: 1px solid #e3e3e3; border-radius: 6px;
                padding: 10px 12px; position: relative; box-sizing: border-box; }
section.chart.small { flex: 0 1 calc(33.3% - 11px); min-width: 300px; }
section.chart h3 { font-size: 15px; margin: 0; }
section.chart p.note { font-size: 12px; color: #666; margin: 2px 0 6px; }
section.chart svg { width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: #444; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #999; }
svg .ref { stroke: #b00020; stroke-dasharray: 6 4; }
svg .cursor { stroke: #888; stroke-dasharray: 2 2; }
.legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 4px; }
.legend span.sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
                  vertical-align: -2px; border-radius: 2px; }
.tip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.95);
       border: 1px solid #ccc; border-radius: 4px; padding: 4px 6px; font-size: 12px;
       white-space: nowrap; display: none; }
)CSS";

// Plain ES2017, no dependencies. Every chart section gets data-points (the finite values it
// drew); the page's health goes to #report-status (report_html.h).
const char* const kReportJs = R"JS(
(function () {
  'use strict';
  var status = { charts: 0, empty: [], errors: [] };
  var published = false;
  function publish() {
    var el = document.getElementById('report-status');
    if (el) el.textContent = JSON.stringify(status);
    document.body.setAttribute('data-report-status',
        status.errors.length || status.empty.length || status.charts === 0 ? 'error' : 'ok');
    published = true;
  }
  function problem(msg) {
    status.errors.push(String(msg));
    if (published) publish();
  }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) {
      problem('could not load ' + t.tagName + ' ' + (t.src || t.href || ''));
    } else {
      problem((e.message || 'script error') + (e.lineno ? ' at line ' + e.lineno : ''));
    }
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    problem('unhandled rejection: ' + e.reason);
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    problem('blocked by the page policy: ' + e.blockedURI);
  });
  ['error', 'warn'].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      problem('console.' + level + ': ' + Array.prototype.join.call(arguments, ' '));
      return original.apply(console, arguments);
    };
  });

  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1',
                '#ff9da7', '#9c755f', '#bab0ac'];
  var W = 960;

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor, extra) {
    var t = el('text', Object.assign({ x: x, y: y, 'text-anchor': anchor || 'start' }, extra || {}),
               parent);
    t.textContent = s;
    return t;
  }
  function finite(v) { return typeof v === 'number' && isFinite(v); }

  // 3 significant digits with k / M / G / T; fractions as percentages.
  function fmt(v, unit) {
    if (!finite(v)) return '–';
    if (unit === 'fraction') return Number((v * 100).toPrecision(3)) + ' %';
    var a = Math.abs(v), s;
    if (unit === 's') {
      if (a === 0) return '0';
      if (a < 1e-3) return (v * 1e6).toPrecision(3) * 1 + ' µs';
      if (a < 1) return (v * 1e3).toPrecision(3) * 1 + ' ms';
      return v.toPrecision(3) * 1 + ' s';
    }
    var p = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (var i = 0; i < p.length; ++i) {
      if (a >= p[i][0]) return (v / p[i][0]).toPrecision(3) * 1 + p[i][1];
    }
    s = a === 0 ? '0' : String(v.toPrecision(3) * 1);
    return s;
  }
  function niceStep(range, n) {
    var raw = range / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
  }
  function domain(values, refs) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (finite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    (refs || []).forEach(function (v) { if (finite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo > 0) lo = 0;
    if (hi <= lo) hi = lo + 1;
    var step = niceStep(hi - lo, 5);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    var ticks = [];
    for (var t = lo; t <= hi + step / 2; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return { lo: lo, hi: hi, ticks: ticks };
  }
  function timeUnit(tmax) {
    if (tmax <= 2 * 3600) return { div: 60, name: 'min' };
    if (tmax <= 3 * 86400) return { div: 3600, name: 'h' };
    if (tmax <= 400 * 86400) return { div: 86400, name: 'd' };
    return { div: 730 * 3600, name: 'months of 730 h' };
  }

  function section(chart, small) {
    var s = document.createElement('section');
    s.className = 'chart' + (small ? ' small' : '');
    s.id = chart.id;
    var h = document.createElement('h3');
    h.textContent = chart.title;
    s.appendChild(h);
    if (chart.note) {
      var p = document.createElement('p');
      p.className = 'note';
      p.textContent = chart.note;
      s.appendChild(p);
    }
    document.getElementById('charts').appendChild(s);
    return s;
  }
  function legend(s, items) {
    var d = document.createElement('div');
    d.className = 'legend';
    items.forEach(function (it) {
      var span = document.createElement('span');
      var sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = it.color;
      if (it.dashed) sw.style.background = 'repeating-linear-gradient(90deg,' + it.color +
          ' 0 4px, transparent 4px 7px)';
      span.appendChild(sw);
      span.appendChild(document.createTextNode(it.label));
      d.appendChild(span);
    });
    s.appendChild(d);
  }

  function lineChart(chart, time) {
    var s = section(chart, false);
    var right = chart.series.some(function (x) { return x.axis === 'right'; });
    var H = 300, m = { l: 70, r: right ? 70 : 20, t: 12, b: 38 };
    var pw = W - m.l - m.r, ph = H - m.t - m.b;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': chart.title }, s);
    var tmax = 0, tmin = Infinity;
    time.forEach(function (t) { if (finite(t)) { tmax = Math.max(tmax, t); tmin = Math.min(tmin, t); } });
    if (tmin === Infinity) tmin = 0;
    var tu = timeUnit(tmax);
    // The x axis spans exactly the run; its ticks are the round values inside it.
    var xd = { lo: tmin / tu.div, hi: Math.max(tmax / tu.div, tmin / tu.div + 1e-9), ticks: [] };
    var xstep = niceStep(xd.hi - xd.lo, 8);
    for (var xt = Math.ceil(xd.lo / xstep) * xstep; xt <= xd.hi + xstep * 1e-9; xt += xstep) {
      xd.ticks.push(xt);
    }
    function X(t) { return m.l + (t / tu.div - xd.lo) / (xd.hi - xd.lo) * pw; }
    var leftVals = [], rightVals = [];
    chart.series.forEach(function (x) {
      Array.prototype.push.apply(x.axis === 'right' ? rightVals : leftVals, x.values);
    });
    var yl = domain(leftVals, chart.refs.map(function (r) { return r.value; }));
    var yr = right ? domain(rightVals) : null;
    function Y(v, d) { return m.t + ph - (v - d.lo) / (d.hi - d.lo) * ph; }
    yl.ticks.forEach(function (v) {
      el('line', { x1: m.l, x2: m.l + pw, y1: Y(v, yl), y2: Y(v, yl), 'class': 'grid' }, svg);
      text(svg, m.l - 6, Y(v, yl) + 4, fmt(v, chart.unit), 'end');
    });
    if (yr) yr.ticks.forEach(function (v) {
      text(svg, m.l + pw + 6, Y(v, yr) + 4, fmt(v, chart.unit_right), 'start');
    });
    xd.ticks.forEach(function (v) {
      var x = m.l + (v - xd.lo) / (xd.hi - xd.lo) * pw;
      el('line', { x1: x, x2: x, y1: m.t + ph, y2: m.t + ph + 4, 'class': 'axis' }, svg);
      text(svg, x, m.t + ph + 16, fmt(v, ''), 'middle');
    });
    el('line', { x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, 'class': 'axis' }, svg);
    text(svg, m.l + pw / 2, H - 4, 'time (' + tu.name + ')', 'middle');
    text(svg, 14, m.t + ph / 2, chart.unit === 'fraction' ? '%' : chart.unit, 'middle',
         { transform: 'rotate(-90 14 ' + (m.t + ph / 2) + ')' });
    if (yr) text(svg, W - 10, m.t + ph / 2, chart.unit_right, 'middle',
                 { transform: 'rotate(90 ' + (W - 10) + ' ' + (m.t + ph / 2) + ')' });
    var items = [], points = 0;
    chart.series.forEach(function (x, i) {
      var color = COLORS[i % COLORS.length], d = '', pen = false, n = 0;
      var dom = x.axis === 'right' ? yr : yl;
      x.values.forEach(function (v, k) {
        if (!finite(v) || !finite(time[k])) { pen = false; return; }
        d += (pen ? 'L' : 'M') + X(time[k]).toFixed(1) + ' ' + Y(v, dom).toFixed(1);
        pen = true;
        ++n;
      });
      points += n;
      if (d) el('path', { d: d, fill: 'none', stroke: color, 'stroke-width': 1.6,
                          'stroke-dasharray': x.axis === 'right' ? '5 3' : 'none' }, svg);
      if (n > 0 && n < 40) x.values.forEach(function (v, k) {
        if (finite(v) && finite(time[k])) el('circle', { cx: X(time[k]), cy: Y(v, dom), r: 2.5,
                                                          fill: color }, svg);
      });
      items.push({ color: color, label: x.label + (x.axis === 'right' ? ' (right axis)' : ''),
                   dashed: x.axis === 'right' });
    });
    chart.refs.forEach(function (r) {
      el('line', { x1: m.l, x2: m.l + pw, y1: Y(r.value, yl), y2: Y(r.value, yl), 'class': 'ref' },
         svg);
      text(svg, m.l + pw - 4, Y(r.value, yl) - 4, r.label + ' ' + fmt(r.value, chart.unit), 'end',
           { fill: '#b00020' });
      items.push({ color: '#b00020', label: r.label, dashed: true });
    });
    legend(s, items);
    // Hover: the values at the nearest time.
    var tip = document.createElement('div');
    tip.className = 'tip';
    s.appendChild(tip);
    var cursor = el('line', { y1: m.t, y2: m.t + ph, 'class': 'cursor', visibility: 'hidden' }, svg);
    var overlay = el('rect', { x: m.l, y: m.t, width: pw, height: ph, fill: 'transparent' }, svg);
    overlay.addEventListener('mousemove', function (ev) {
      var box = svg.getBoundingClientRect(), scale = W / box.width;
      var t = ((ev.clientX - box.left) * scale - m.l) / pw * (xd.hi - xd.lo) * tu.div + xd.lo * tu.div;
      var lo = 0, hi = time.length - 1;
      while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (time[mid] < t) lo = mid; else hi = mid; }
      var k = Math.abs(time[lo] - t) <= Math.abs(time[hi] - t) ? lo : hi;
      cursor.setAttribute('x1', X(time[k]));
      cursor.setAttribute('x2', X(time[k]));
      cursor.setAttribute('visibility', 'visible');
      var lines = [fmt(time[k] / tu.div, '') + ' ' + tu.name];
      chart.series.forEach(function (x) {
        lines.push(x.label + ': ' + fmt(x.values[k], x.axis === 'right' ? chart.unit_right : chart.unit));
      });
      tip.textContent = '';
      lines.forEach(function (l) { var d = document.createElement('div'); d.textContent = l; tip.appendChild(d); });
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX - s.getBoundingClientRect().left + 12, s.clientWidth - 220) + 'px';
      tip.style.top = (ev.clientY - s.getBoundingClientRect().top + 12) + 'px';
    });
    overlay.addEventListener('mouseleave', function () {
      tip.style.display = 'none';
      cursor.setAttribute('visibility', 'hidden');
    });
    return points;
  }

  function stackedBar(chart) {
    var s = section(chart, false);
    var rowH = 34, m = { l: 150, r: 20, t: 10, b: 34 };
    var H = m.t + m.b + rowH * chart.bars.length, pw = W - m.l - m.r;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': chart.title }, s);
    var names = [], totals = chart.bars.map(function (b) {
      return b.segments.reduce(function (a, g) {
        if (names.indexOf(g.name) < 0) names.push(g.name);
        return a + (finite(g.value) && g.value > 0 ? g.value : 0);
      }, 0);
    });
    var xd = domain([0, Math.max.apply(null, totals.concat([0]))]);
    function X(v) { return m.l + (v - xd.lo) / (xd.hi - xd.lo) * pw; }
    xd.ticks.forEach(function (v) {
      el('line', { x1: X(v), x2: X(v), y1: m.t, y2: H - m.b, 'class': 'grid' }, svg);
      text(svg, X(v), H - m.b + 16, fmt(v, chart.unit), 'middle');
    });
    var points = 0;
    chart.bars.forEach(function (b, i) {
      var y = m.t + i * rowH + 5, x = 0;
      text(svg, m.l - 8, y + 17, b.label, 'end');
      b.segments.forEach(function (g) {
        if (!finite(g.value)) return;
        ++points;
        if (g.value <= 0) return;
        var r = el('rect', { x: X(x), y: y, width: Math.max(X(x + g.value) - X(x), 0.5),
                             height: rowH - 10,
                             fill: COLORS[names.indexOf(g.name) % COLORS.length] }, svg);
        var title = el('title', {}, r);
        title.textContent = g.name + ': ' + fmt(g.value, chart.unit) + ' (' +
            (100 * g.value / totals[i]).toFixed(1) + ' %)';
        x += g.value;
      });
      text(svg, Math.min(X(x) + 6, W - 4), y + 17, fmt(totals[i], chart.unit),
           X(x) + 6 > W - 60 ? 'end' : 'start');
    });
    legend(s, names.map(function (n, k) {
      var shares = chart.bars.map(function (b, i) {
        var g = b.segments.filter(function (x) { return x.name === n; })[0];
        return g && finite(g.value) ? fmt(g.value, chart.unit) + ' (' +
            (100 * g.value / totals[i]).toFixed(1) + ' %)' : '–';
      });
      return { color: COLORS[k % COLORS.length], label: n + ': ' + shares.join(', ') };
    }));
    return points;
  }

  function policyBars(chart, labels) {
    var s = section(chart, true);
    var Wp = 320, Hp = 230, m = { l: 52, r: 10, t: 10, b: 20 };
    var pw = Wp - m.l - m.r, ph = Hp - m.t - m.b;
    var svg = el('svg', { viewBox: '0 0 ' + Wp + ' ' + Hp, role: 'img', 'aria-label': chart.title }, s);
    var vals = [];
    chart.mean.forEach(function (v, p) {
      vals.push(v);
      if (finite(v) && finite(chart.ci95[p])) { vals.push(v + chart.ci95[p]); vals.push(v - chart.ci95[p]); }
      (chart.runs[p] || []).forEach(function (r) { vals.push(r); });
    });
    var yd = domain(vals);
    function Y(v) { return m.t + ph - (v - yd.lo) / (yd.hi - yd.lo) * ph; }
    yd.ticks.forEach(function (v) {
      el('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), 'class': 'grid' }, svg);
      text(svg, m.l - 4, Y(v) + 4, fmt(v, chart.unit === '%' ? '' : chart.unit), 'end');
    });
    var slot = pw / Math.max(labels.length, 1), points = 0;
    labels.forEach(function (label, p) {
      var v = chart.mean[p], bx = m.l + slot * p + slot * 0.15, bw = slot * 0.7;
      var color = COLORS[p % COLORS.length];
      if (!finite(v)) { text(svg, bx + bw / 2, Y(0) - 4, 'n/a', 'middle'); return; }
      ++points;
      var y0 = Y(Math.max(yd.lo, 0)), y1 = Y(v);
      var r = el('rect', { x: bx, y: Math.min(y0, y1), width: bw, height: Math.abs(y0 - y1),
                           fill: color, 'fill-opacity': 0.85 }, svg);
      el('title', {}, r).textContent = label + ': ' + fmt(v, '') +
          (finite(chart.ci95[p]) ? ' ± ' + fmt(chart.ci95[p], '') : '');
      if (finite(chart.ci95[p])) {
        var cx = bx + bw / 2, a = Y(v - chart.ci95[p]), b = Y(v + chart.ci95[p]);
        el('path', { d: 'M' + cx + ' ' + a + 'V' + b + 'M' + (cx - 5) + ' ' + a + 'h10M' +
                        (cx - 5) + ' ' + b + 'h10', stroke: '#222', fill: 'none' }, svg);
      }
      (chart.runs[p] || []).forEach(function (rv, k) {
        if (!finite(rv)) return;
        var n = chart.runs[p].length;
        el('circle', { cx: bx + bw * (n > 1 ? 0.2 + 0.6 * k / (n - 1) : 0.5), cy: Y(rv), r: 2.2,
                       fill: '#222', 'fill-opacity': 0.6 }, svg);
      });
    });
    el('line', { x1: m.l, x2: m.l + pw, y1: Y(Math.max(yd.lo, 0)), y2: Y(Math.max(yd.lo, 0)),
                 'class': 'axis' }, svg);
    text(svg, m.l + pw / 2, Hp - 4,
         chart.unit ? 'unit: ' + (chart.unit === 'fraction' ? '%' : chart.unit) : '', 'middle');
    return points;
  }

  function render() {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var time = (data.time_s || []).map(function (v) { return v === null ? NaN : v; });
    var nulls = function (a) { return a.map(function (v) { return v === null ? NaN : v; }); };
    if (data.kind === 'policies') {
      legend(document.getElementById('charts').parentNode.insertBefore(
          document.createElement('div'), document.getElementById('charts')),
          data.labels.map(function (l, p) { return { color: COLORS[p % COLORS.length], label: l }; }));
    }
    data.charts.forEach(function (chart) {
      var points = 0;
      try {
        if (chart.kind === 'line') {
          chart.series.forEach(function (x) { x.values = nulls(x.values); });
          points = lineChart(chart, time);
        } else if (chart.kind === 'stacked-bar') {
          chart.bars.forEach(function (b) {
            b.segments.forEach(function (g) { if (g.value === null) g.value = NaN; });
          });
          points = stackedBar(chart);
        } else if (chart.kind === 'policy-bars') {
          chart.mean = nulls(chart.mean);
          chart.ci95 = nulls(chart.ci95);
          chart.runs = chart.runs.map(nulls);
          points = policyBars(chart, data.labels);
        } else {
          problem('chart ' + chart.id + ': unknown kind ' + chart.kind);
        }
      } catch (e) {
        problem('chart ' + chart.id + ': ' + (e && e.stack ? e.stack : e));
      }
      var sec = document.getElementById(chart.id);
      if (sec) sec.setAttribute('data-points', String(points));
      status.charts += 1;
      if (!(points > 0)) status.empty.push(chart.id);
    });
  }

  try {
    render();
  } catch (e) {
    problem('report: ' + (e && e.stack ? e.stack : e));
  }
  publish();
})();
)JS";

}  // namespace fleetsim
