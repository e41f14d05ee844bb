/**
 * Drill reports: `drill.json` (the measurements, to compare drills), `report.md` and `report.html` — one
 * self-contained page (Chart.js inlined, no network) with the phase timeline and the replication-lag curve. The page
 * sets `data-rendered="true"` on <body> once both charts are drawn (what the Chromium test looks for).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DrillMeasurements } from './measure.js';
import type { SiteLossFigures } from './site-loss.js';

const secs = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const n = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US'));
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The stretch drill's RPO sentence: acknowledged records missing from the log. */
function siteLossRpo(x: SiteLossFigures): string {
  if (!x.readBack) return `RPO: not measured (${x.readBackError ? `the log could not be read back: ${x.readBackError}` : 'no traffic ledger'}).`;
  const r = x.readBack;
  const where = Object.entries(r.lostRanges)
    .map(([k, ranges]) => `${k} ${ranges.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ')}`)
    .join('; ');
  return `RPO: acknowledged records lost **${n(r.lost)}** of ${n(r.acknowledged)} acknowledged (acks=all; every sequence looked up in the log of ${n(r.partitionsRead)} partitions, read back without a group)${where ? ` — missing: ${where}` : ''}; ${n(r.duplicatesInLog)} duplicate copies in the log (producer retries).`;
}

/** The stretch drill's section: per topic the time writes were blocked, and the RPO. */
function siteLossSection(x: SiteLossFigures): string[] {
  return [
    '## Site loss (stretch cluster)',
    '',
    `Site **${x.site}** lost at +${secs(x.lostAtMs)} (${x.lostBy === 'drill' ? 'killed by the drill' : 'taken as given: the clock starts with the drill'})${x.restoreStartedAtMs === null ? '' : `; started again at +${secs(x.restoreStartedAtMs)}`}.`,
    '',
    'Writes blocked per topic (RTO): from the site loss to the first acknowledgement (acks=all) of a write sent after it, as the traffic generator saw it.',
    '',
    '| topic | writes blocked (RTO) | first write after the loss: sent | acknowledged | failed sends meanwhile |',
    '|---|---|---|---|---|',
    ...x.topics.map(
      (t) =>
        `| ${t.topic} | ${t.writesBlockedMs === null ? 'still blocked when the producers stopped' : secs(t.writesBlockedMs)} | ${t.firstAckSentAtMs === null ? '—' : `+${secs(t.firstAckSentAtMs)}`} | ${t.firstAckAtMs === null ? '—' : `+${secs(t.firstAckAtMs)}`} | ${n(t.failedSends)} |`,
    ),
    '',
    siteLossRpo(x),
    '',
  ];
}

/** The Markdown report. */
export function markdownReport(m: DrillMeasurements): string {
  const lines = [
    `# DR drill ${m.drillId}`,
    '',
    `Started ${m.startedAt}; outcome **${m.outcome}**.`,
    '',
    '## Recovery',
    '',
    '| run | runbook | outcome | RTO (end to end) | audit log |',
    '|---|---|---|---|---|',
    ...[m.failover, m.failback]
      .filter((r) => r !== null)
      .map((r, i) => `| ${i === 0 ? 'failover' : 'failback'} | ${r!.runbook} | ${r!.outcome} (exit ${r!.exitCode}) | ${secs(r!.rtoMs)} | ${r!.auditFile} |`),
    '',
    ...(m.siteLoss
      ? siteLossSection(m.siteLoss)
      : [
          `RPO: records at risk at the cutover (replication lag when the failover moved on) **${n(m.rpo.recordsAtRisk)}**; estimated data-loss window ${m.rpo.dataLossWindowMs === null ? '— (planned failover)' : secs(m.rpo.dataLossWindowMs)}; records never replicated back at the failback **${n(m.rpo.neverReplicatedBack)}**.`,
          '',
        ]),
    '## Phases',
    '',
    '| run | step | kind | start | duration | outcome |',
    '|---|---|---|---|---|---|',
    ...m.phases.map((p) => `| ${p.run} | ${p.step} | ${p.kind} | +${secs(p.startMs)} | ${secs(p.durationMs)} | ${p.outcome} |`),
    '',
    '## Consumer groups',
    '',
    m.traffic
      ? `Traffic: ${n(m.traffic.produced)} records produced (acknowledged), ${n(m.traffic.sendFailures)} failed sends.`
      : 'No traffic ledger: skipped and duplicated records were not measured.',
    '',
    '| group | re-reads reported | duplicates measured | skipped measured | consumed |',
    '|---|---|---|---|---|',
    ...m.groups.map((g) => `| ${g.group} | ${n(g.reReadReported)} | ${n(g.duplicatesMeasured)} | ${n(g.skippedMeasured)} | ${n(g.consumed)} |`),
    '',
    '## Continuity proof (before each reset)',
    '',
    m.continuity?.length
      ? [
          '| run | verdict | rows proven | exact | with re-reads | re-read records (verified) | failures |',
          '|---|---|---|---|---|---|---|',
          ...m.continuity.map(
            (c) =>
              `| ${c.run} | ${c.ok ? 'proven' : 'FAILED'} | ${n(c.rowsProven)} | ${n(c.exact)} | ${n(c.withReReads)} | ${n(c.reReadRecords)} | ${n(c.failures)} |`,
          ),
        ].join('\n')
      : 'No continuity proof was recorded (the source did not answer, or the runbook has no reset step).',
    '',
    `Replication lag observed: ${m.lagCurve.length} sample(s)${m.lagCurve.length ? `, peak ${n(Math.max(...m.lagCurve.map((p) => p.totalLagRecords)))} records` : ''} (chart in report.html).`,
    '',
  ];
  return lines.join('\n');
}

/** The self-contained HTML report (charts drawn by the inlined Chart.js). */
export function htmlReport(m: DrillMeasurements): string {
  // The UMD build sits beside the package's main file (its "exports" map does not list it).
  const chartJs = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  const rows = (cells: string[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const data = JSON.stringify({
    phases: m.phases.map((p) => ({
      label: `${p.run}: ${p.step}`,
      from: p.startMs / 1000,
      to: Math.max(p.endMs, p.startMs + 50) / 1000,
      ok: p.outcome === 'ok',
    })),
    lag: m.lagCurve.map((p) => ({ x: p.atMs / 1000, y: p.totalLagRecords, run: p.run })),
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DR drill ${esc(m.drillId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fff}table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}.chart{width:1100px;height:${Math.max(240, 26 * m.phases.length + 60)}px}.lag{width:1100px;height:280px}</style>
</head><body data-rendered="false">
<h1>DR drill ${esc(m.drillId)}</h1>
<p>Started ${esc(m.startedAt)} — outcome <b>${esc(m.outcome)}</b>. Failover RTO <b>${secs(m.failover.rtoMs)}</b>${m.failback ? `, failback RTO <b>${secs(m.failback.rtoMs)}</b>` : ''}. ${
    m.siteLoss
      ? `Site <b>${esc(m.siteLoss.site)}</b> lost; acknowledged records lost <b>${n(m.siteLoss.readBack?.lost)}</b> of ${n(m.siteLoss.readBack?.acknowledged)}.`
      : `RPO: records at risk at the cutover <b>${n(m.rpo.recordsAtRisk)}</b>${m.rpo.dataLossWindowMs !== null ? `, data-loss window ${secs(m.rpo.dataLossWindowMs)}` : ''}; never replicated back <b>${n(m.rpo.neverReplicatedBack)}</b>.`
  }</p>${
    m.siteLoss
      ? `\n<h2>Writes blocked per topic by the site loss (RTO, from the traffic generator's acknowledgements)</h2>\n<table><tr><th>topic</th><th>writes blocked</th><th>first write after the loss: sent</th><th>acknowledged</th><th>failed sends meanwhile</th></tr>\n${rows(
          m.siteLoss.topics.map((t) => [
            t.topic,
            t.writesBlockedMs === null ? 'still blocked when the producers stopped' : secs(t.writesBlockedMs),
            t.firstAckSentAtMs === null ? '—' : `+${secs(t.firstAckSentAtMs)}`,
            t.firstAckAtMs === null ? '—' : `+${secs(t.firstAckAtMs)}`,
            n(t.failedSends),
          ]),
        )}</table>`
      : ''
  }
<h2>Timeline of the phases (seconds since the drill started)</h2>
<div class="chart"><canvas id="timeline"></canvas></div>
<h2>Replication lag while waiting (records)</h2>
<div class="lag"><canvas id="lag"></canvas></div>
<h2>Consumer groups</h2>
<table><tr><th>group</th><th>re-reads reported</th><th>duplicates measured</th><th>skipped measured</th><th>consumed</th></tr>
${rows(m.groups.map((g) => [g.group, n(g.reReadReported), n(g.duplicatesMeasured), n(g.skippedMeasured), n(g.consumed)]))}</table>
<h2>Continuity proof (before each reset)</h2>
<table><tr><th>run</th><th>verdict</th><th>rows proven</th><th>exact</th><th>with re-reads</th><th>re-read records (verified)</th><th>failures</th></tr>
${rows((m.continuity ?? []).map((c) => [c.run, c.ok ? 'proven' : 'FAILED', n(c.rowsProven), n(c.exact), n(c.withReReads), n(c.reReadRecords), n(c.failures)]))}</table>
<h2>Phases</h2>
<table><tr><th>run</th><th>step</th><th>kind</th><th>start</th><th>duration</th><th>outcome</th></tr>
${rows(m.phases.map((p) => [p.run, p.step, p.kind, `+${secs(p.startMs)}`, secs(p.durationMs), p.outcome]))}</table>
<script>${chartJs}</script>
<script>
const d = ${data};
Chart.defaults.animation = false;
new Chart(document.getElementById('timeline'), {
  type: 'bar',
  data: { labels: d.phases.map((p) => p.label), datasets: [{ label: 'phase', data: d.phases.map((p) => [p.from, p.to]), backgroundColor: d.phases.map((p) => (p.ok ? '#1f77b4' : '#d62728')) }] },
  options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } } } },
});
new Chart(document.getElementById('lag'), {
  type: 'line',
  data: { datasets: ['failover', 'failback'].map((run, i) => ({ label: run, data: d.lag.filter((p) => p.run === run), borderColor: i ? '#ff7f0e' : '#2ca02c', backgroundColor: i ? '#ff7f0e' : '#2ca02c', showLine: true })) },
  options: { responsive: true, maintainAspectRatio: false, scales: { x: { type: 'linear', title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, title: { display: true, text: 'records' } } } },
});
document.body.dataset.rendered = 'true';
</script>
</body></html>
`;
}

/** Writes drill.json, report.md and report.html into `<reportsDir>/<drillId>/`; returns that folder. */
export function writeDrillReport(reportsDir: string, m: DrillMeasurements): string {
  const dir = path.resolve(reportsDir, m.drillId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'drill.json'), JSON.stringify(m, null, 2) + '\n');
  writeFileSync(path.join(dir, 'report.md'), markdownReport(m));
  writeFileSync(path.join(dir, 'report.html'), htmlReport(m));
  return dir;
}
