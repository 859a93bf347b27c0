/**
 * The HTML report: one self-contained file (inline style, script and data; nothing fetched), a
 * swimlane timeline of the trace with an overview strip, the verdicts listed beside it, and the
 * chosen verdict's slice, state and spec rule. The drawing is in viewer.ts.
 */
import type { Finding } from '../findings.js';
import type { Timeline } from '../timeline.js';
import { payloadOf, scriptJson } from './payload.js';
import { VIEWER_JS } from './viewer.js';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #222; }
body { display: grid; grid-template-rows: auto auto minmax(0, 1fr) auto; grid-template-columns: minmax(0, 1fr) 420px; height: 100vh; overflow: hidden; }
header { grid-column: 1 / 3; padding: 6px 10px; border-bottom: 1px solid #ddd; min-width: 0;
  display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
header h1 { overflow-wrap: anywhere; }
header h1 { font-size: 15px; margin: 0; }
header .tools button { margin-right: 4px; }
#overview-box { grid-column: 1; grid-row: 2; padding: 4px 0 0; min-width: 0; }
#lanes-box { grid-column: 1; grid-row: 3; position: relative; overflow: hidden; border-top: 1px solid #eee; min-width: 0; min-height: 0; }
#axis { grid-column: 1; grid-row: 4; padding: 2px 10px; color: #555; font-size: 11px; border-top: 1px solid #ddd; white-space: nowrap; overflow: hidden; }
aside { grid-column: 2; grid-row: 2 / 5; border-left: 1px solid #ddd; display: flex; flex-direction: column; min-height: 0; }
#violations { list-style: none; margin: 0; padding: 0; overflow-y: auto; max-height: 40vh; border-bottom: 1px solid #ddd; }
.finding { padding: 4px 8px; border-bottom: 1px solid #f0f0f0; cursor: pointer; }
.finding:hover { background: #f5f8ff; }
.finding.selected { background: #ffe9d6; outline: 2px solid #ff7f0e; outline-offset: -2px; }
.finding .inv { font-weight: 600; }
.finding.violation .inv, h2.violation { color: #c62828; }
.finding.pending .inv, h2.pending { color: #777; }
.finding.unknown .inv, h2.unknown { color: #8a8a00; }
.finding .where { color: #666; font-size: 12px; }
.finding .msg { font-size: 12px; overflow-wrap: anywhere; }
#detail { overflow-y: auto; padding: 6px 10px; flex: 1; }
#detail h2 { font-size: 14px; margin: 4px 0; }
#detail h3 { font-size: 12px; margin: 10px 0 2px; color: #444; }
#detail p { margin: 2px 0; overflow-wrap: anywhere; }
#detail .spec { font-family: ui-monospace, monospace; font-size: 12px; }
#detail ol.slice { padding-left: 20px; margin: 2px 0; font-family: ui-monospace, monospace; font-size: 12px; }
#detail .slice-event { margin: 2px 0; overflow-wrap: anywhere; }
#detail .slice-event.violating { color: #c62828; font-weight: 600; }
#detail .note { color: #666; }
#detail pre.state { background: #f6f6f6; padding: 4px 6px; margin: 2px 0; font-size: 12px; white-space: pre-wrap; }
#tip { position: fixed; display: none; background: #222; color: #fff; padding: 4px 6px; font-size: 12px;
  white-space: pre; pointer-events: none; border-radius: 3px; z-index: 10; }
.legend span { display: inline-block; margin-right: 10px; font-size: 11px; }
.legend i { display: inline-block; width: 14px; height: 9px; margin-right: 3px; vertical-align: middle; }
canvas { display: block; }
`;

export function htmlReport(t: Timeline, findings: Finding[], title: string): string {
  const data = scriptJson(payloadOf(t, findings, title));
  const clock = t.timed ? 'seq or trace time' : 'seq (the trace has no clock)';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kinv: ${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>kinv: ${escapeHtml(title)}</h1>
  <span id="count"></span>
  <span>${t.events} events, ${t.tasks.length} tasks, axis: ${escapeHtml(clock)}</span>
  <span class="tools"><button id="zoom-in" title="zoom in (W)">+</button><button id="zoom-out" title="zoom out (S)">−</button>
  <button id="zoom-fit">whole trace</button>
  <label><input type="checkbox" id="use-time"> time axis</label></span>
  <span class="legend"><span><i style="background:#4e79a7"></i>held shared (R)</span><span><i style="background:#f28e2b"></i>held exclusive (W)</span>
  <span><i style="background:repeating-linear-gradient(45deg,#f28e2b 0 2px,#fff 2px 5px)"></i>waiting</span>
  <span><i style="background:#59a14f"></i>in-lookup owner</span>
  <span><i style="background:#d62728"></i>violation</span><span><i style="background:#ff7f0e;border-radius:50%"></i>slice event</span></span>
</header>
<div id="overview-box"><canvas id="overview" title="the whole trace: click or drag to move the window"></canvas></div>
<div id="lanes-box"><canvas id="lanes"></canvas></div>
<div id="axis"></div>
<aside>
  <ul id="violations"></ul>
  <div id="detail"><p>Choose a verdict to see its slice, the state it read and the rule. Wheel scrolls the lanes, shift+wheel or drag pans,
    ctrl+wheel or W/S zooms.</p></div>
</aside>
<div id="tip"></div>
<script type="application/json" id="kinv-data">${data}</script>
<script>${VIEWER_JS}</script>
</body>
</html>
`;
}
