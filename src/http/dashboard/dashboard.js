// The Highwater dashboard in the browser: loads /api/state, then follows /api/events (SSE), draws
// throughput with uPlot and fills the shard, partition and group tables. Plain script, no build.
/* global document, window, EventSource, fetch, uPlot */
'use strict';

const HISTORY_POINTS = 300;
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d'];

const samples = [];
let chart = null;
let chartTopics = [];

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function cell(row, value, title) {
  const td = document.createElement('td');
  if (value instanceof window.Node) td.append(value); else td.textContent = String(value);
  if (title) td.title = title;
  row.append(td);
  return td;
}

function bar(fraction) {
  const span = document.createElement('span');
  const f = Math.max(0, Math.min(1, fraction || 0));
  span.className = f > 0.8 ? 'bar hot' : 'bar';
  span.style.width = `${Math.round(f * 60)}px`;
  const wrap = document.createElement('span');
  wrap.append(span, `${(f * 100).toFixed(1)}%`);
  return wrap;
}

function topicsOf(list) {
  const names = new Set();
  for (const s of list) for (const t of Object.keys(s.topics)) if (!t.startsWith('__')) names.add(t);
  return [...names].sort();
}

function chartData() {
  const x = samples.map((s) => s.time / 1000);
  const data = [x];
  for (const topic of chartTopics) {
    data.push(samples.map((s) => s.topics[topic]?.bytesIn ?? 0));
    data.push(samples.map((s) => s.topics[topic]?.bytesOut ?? 0));
  }
  return data;
}

function buildChart() {
  const host = document.getElementById('throughput');
  if (chart) chart.destroy();
  const series = [{}];
  chartTopics.forEach((topic, i) => {
    const colour = PALETTE[i % PALETTE.length];
    series.push({ label: `${topic} in`, stroke: colour, width: 2, value: (_u, v) => (v == null ? '-' : `${formatBytes(v)}/s`) });
    series.push({ label: `${topic} out`, stroke: colour, width: 2, dash: [6, 4], value: (_u, v) => (v == null ? '-' : `${formatBytes(v)}/s`) });
  });
  host.dataset.topics = chartTopics.join(',');
  chart = new uPlot({
    width: Math.max(320, host.clientWidth || 800),
    height: 260,
    series,
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${formatBytes(t)}/s`), size: 96 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
  }, chartData(), host);
}

function addSamples(list) {
  for (const s of list) samples.push(s);
  while (samples.length > HISTORY_POINTS) samples.shift();
  const topics = topicsOf(samples);
  if (!chart || topics.join('\0') !== chartTopics.join('\0')) {
    chartTopics = topics;
    buildChart();
  } else {
    chart.setData(chartData());
  }
  const host = document.getElementById('throughput');
  host.dataset.samples = String(samples.length);
  const last = samples.at(-1);
  let bytesIn = 0;
  if (last) for (const t of chartTopics) bytesIn += last.topics[t]?.bytesIn ?? 0;
  host.dataset.lastBytesIn = String(Math.round(bytesIn));
}

function renderShards(state) {
  const body = document.querySelector('#shards tbody');
  const last = samples.at(-1);
  body.replaceChildren(...state.shards.map((s) => {
    const tr = document.createElement('tr');
    cell(tr, s.shard);
    cell(tr, s.partitions);
    cell(tr, last ? `${formatBytes(last.shardBytesIn[s.shard] ?? 0)}/s` : '-');
    cell(tr, bar(s.utilization));
    cell(tr, bar(s.ringCapacityBytes ? s.ringUsedBytes / s.ringCapacityBytes : 0), `${formatBytes(s.ringUsedBytes)} of ${formatBytes(s.ringCapacityBytes)}`);
    cell(tr, s.waitingMessages);
    cell(tr, s.pausedConnections);
    cell(tr, s.restarts);
    return tr;
  }));
}

function renderPartitions(state) {
  const body = document.querySelector('#partitions tbody');
  body.replaceChildren(...state.partitions.map((p) => {
    const tr = document.createElement('tr');
    tr.dataset.topic = p.topic;
    tr.dataset.partition = String(p.partition);
    cell(tr, p.topic);
    cell(tr, p.partition);
    cell(tr, p.highWatermark).className = 'hwm';
    cell(tr, p.logStartOffset).className = 'log-start';
    // Tiered storage: below it, the object store serves the log; equal to the log start without tiering.
    cell(tr, p.localLogStartOffset).className = 'local-log-start';
    cell(tr, formatBytes(p.sizeBytes));
    cell(tr, p.shard);
    // Compacted partitions only: the share of the log the cleaner has not cleaned yet.
    cell(tr, p.dirtyRatio >= 0 ? `${(p.dirtyRatio * 100).toFixed(1)}%` : '').className = 'dirty-ratio';
    return tr;
  }));
  document.getElementById('partitions-note').textContent = state.partitionsOmitted > 0 ? `(first ${state.partitions.length}; ${state.partitionsOmitted} more not shown)` : '';
}

function renderGroups(state) {
  const note = document.getElementById('groups-note');
  const host = document.getElementById('groups');
  if (!state.groupsAvailable) {
    note.textContent = 'The group coordinator is not available on this broker.';
    host.replaceChildren();
    return;
  }
  note.textContent = state.groups.length === 0 ? 'No consumer groups.' : '';
  host.replaceChildren(...state.groups.map((g) => {
    const div = document.createElement('div');
    div.className = 'group';
    div.dataset.group = g.groupId;
    const title = document.createElement('h3');
    let total = 0n;
    for (const l of g.lag) total += BigInt(l.lag);
    title.textContent = `${g.groupId} — ${g.groupType ?? 'classic'} group, ${g.state}, ${g.members.length} member(s), total lag ${total}`;
    div.dataset.groupType = g.groupType ?? 'classic';
    div.dataset.totalLag = String(total);
    const members = document.createElement('p');
    members.className = 'note';
    members.textContent = g.members.map((m) => `${m.clientId || '?'}@${m.clientHost || '?'} (${m.memberId})`).join(', ');
    const table = document.createElement('table');
    const head = document.createElement('tr');
    for (const h of ['topic', 'partition', 'committed', 'high watermark', 'lag']) {
      const th = document.createElement('th');
      th.textContent = h;
      head.append(th);
    }
    table.append(head);
    for (const l of g.lag) {
      const tr = document.createElement('tr');
      cell(tr, l.topic);
      cell(tr, l.partition);
      cell(tr, l.committedOffset);
      cell(tr, l.highWatermark);
      cell(tr, l.lag);
      table.append(tr);
    }
    div.append(title, members, table);
    return div;
  }));
}

function renderDamaged(state) {
  const damaged = state.damagedBatches ?? [];
  document.getElementById('damaged-note').textContent = damaged.length === 0 ? 'None found.' : '';
  document.querySelector('#damaged tbody').replaceChildren(...damaged.map((d) => {
    const tr = document.createElement('tr');
    tr.dataset.topic = d.topic;
    tr.dataset.partition = String(d.partition);
    cell(tr, d.topic);
    cell(tr, d.partition);
    cell(tr, `${d.baseOffset}..${d.lastOffset}`).className = 'offsets';
    cell(tr, d.segment);
    cell(tr, d.position);
    cell(tr, d.reason);
    return tr;
  }));
}

function render(state) {
  const status = document.getElementById('status');
  const ready = state.ready && !state.readiness;
  status.textContent = ready ? 'ready' : `not ready: ${state.readiness ?? 'starting'}`;
  status.className = ready ? 'status ok' : 'status bad';
  status.dataset.readiness = ready ? 'ready' : 'not-ready';
  document.getElementById('connections').textContent = `${state.connections} connection(s)`;
  document.getElementById('updated').textContent = `updated ${new Date(state.time).toLocaleTimeString()}`;
  renderShards(state);
  renderPartitions(state);
  renderGroups(state);
  renderDamaged(state);
}

function follow() {
  const events = new EventSource('/api/events');
  events.addEventListener('hello', (e) => {
    const hello = JSON.parse(e.data);
    // A reconnect replays the server's history; start again from it rather than doubling points.
    samples.length = 0;
    addSamples(hello.history);
  });
  events.addEventListener('tick', (e) => {
    const { sample, state } = JSON.parse(e.data);
    addSamples([sample]);
    render(state);
  });
  events.onerror = () => {
    const status = document.getElementById('status');
    status.textContent = 'disconnected, retrying…';
    status.className = 'status bad';
  };
}

fetch('/api/state').then((r) => r.json()).then(({ state }) => render(state)).catch(() => undefined).finally(follow);
window.addEventListener('resize', () => {
  if (chart) chart.setSize({ width: Math.max(320, document.getElementById('throughput').clientWidth), height: 260 });
});
