/**
 * `kafka-failover drill` on the sandbox with live traffic: planned failover, a DR period with producers on dr,
 * failback. The report's numbers are checked against what the test measures on its own — each run's duration from
 * its audit log, each phase from the step records there, skipped and duplicated records per group from the traffic
 * generator's own report file written when the test stops it — and the HTML page is opened in headless Chromium:
 * a screenshot must show the timeline's bars drawn.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillMeasurements } from '../../src/drill/measure.js';
import { failbackClustersFilePath } from '../../src/rehearsal/sandbox/clusters-file.js';
import { sandboxUp, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { resetSharedSandbox, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('dr').replace('dr-', '');
const topics = [`orders-${id}:3`, `payments-${id}:2`];
const groups = [`billing-${id}`, `shipping-${id}`];
let tmp: string;
let traffic: ResultPromise;

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-drill-'));
  traffic = (await startSandboxTraffic({ rate: 100, topics, groups: [groups[0]!, `${groups[1]}:5`], report: path.join(tmp, 'report.json') })).child;
});

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await stopComponents(sandbox().options.stateDir, 'mm2-reverse', 'graceful').catch(() => []);
  await sandboxUp({ stateDir: sandbox().options.stateDir });
});

const audit = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('kafka-failover drill', () => {
  it('measures RTO per phase and end to end, RPO, skipped and duplicated records — matching independent measurements — and its HTML renders in Chromium', async () => {
    const r = await runCli([
      'drill',
      '--failover',
      'runbooks/planned-failover.yaml',
      '--failback',
      'runbooks/failback.yaml',
      '--clusters',
      sandbox().clustersFile,
      '--failback-clusters',
      failbackClustersFilePath(sandbox().options.stateDir),
      '--set',
      `stateDir=${sandbox().options.stateDir}`,
      '--set',
      `groups=${groups.join('|')}`,
      '--set',
      `topics=${topics.map((t) => t.split(':')[0]).join('|')}`,
      '--set',
      `exportFile=${path.join(tmp, 'never-replicated.jsonl')}`,
      '--dr-period',
      '8s',
      '--traffic-state-dir',
      sandbox().options.stateDir,
      '--runs-dir',
      path.join(tmp, 'runs'),
      '--reports-dir',
      path.join(tmp, 'drills'),
      '--output',
      'json',
    ]);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const m = JSON.parse(r.stdout) as DrillMeasurements & { reportDir: string };
    expect(m.outcome).toBe('succeeded');
    expect(JSON.parse(readFileSync(path.join(m.reportDir, 'drill.json'), 'utf8'))).toMatchObject({ drillId: m.drillId, rpo: m.rpo });

    // RTO: each run's end to end equals its audit log's run.finished; each phase its step record.
    for (const run of [m.failover, m.failback!]) {
      const a = audit(run.auditFile);
      expect(run.rtoMs).toBe(a.find((e) => e.kind === 'run.finished')!.durationMs);
      for (const s of a.filter((e) => e.kind === 'step.succeeded'))
        expect(m.phases.find((p) => p.step === s.step && p.durationMs === s.durationMs)).toBeDefined();
    }
    expect(m.phases.filter((p) => p.run === 'failover').map((p) => p.step)).toEqual([
      'permissions',
      'scope',
      'preflight',
      'freeze',
      'lag',
      'drain',
      'stop-consumers',
      'stop-mm2',
      'translate',
      'reset',
      'redirect',
      'validate',
    ]);
    // Every step of runbooks/failback.yaml is a phase (reverse-start and forward-start are no-ops under the default
    // replication policy, but they run and are timed).
    expect(m.phases.filter((p) => p.run === 'failback').map((p) => p.step)).toEqual([
      'permissions',
      'scope',
      'primary-quiet',
      'reverse-start',
      'start-reverse',
      'reverse-caught-up',
      'freeze',
      'lag',
      'stop-consumers',
      'translate',
      'stop-reverse',
      'forward-start',
      'reset',
      'redirect',
      'validate',
      'restore-forward',
    ]);
    // RPO: a planned failover moves on with 0 records of lag; nothing was stranded on primary.
    expect(m.rpo).toMatchObject({ recordsAtRisk: 0, neverReplicatedBack: 0, dataLossWindowMs: null });

    // Skipped and duplicated records: the traffic generator's own report, written when the test stops it.
    traffic.kill('SIGINT');
    await traffic;
    const own = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as {
      produced: number;
      groups: { groupId: string; skipped: number; duplicates: number }[];
    };
    expect(m.traffic!.produced).toBe(own.produced);
    for (const g of own.groups) {
      expect(m.groups.find((x) => x.group === g.groupId)).toMatchObject({ skippedMeasured: g.skipped, duplicatesMeasured: g.duplicates });
      expect(g.skipped).toBe(0);
    }
    console.info(
      `drill: failover RTO ${m.failover.rtoMs} ms, failback RTO ${m.failback!.rtoMs} ms; produced ${own.produced}; ${own.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped} duplicates ${g.duplicates}`).join('; ')}`,
    );

    // The HTML: rendered by Chromium, with the timeline's bars (#1f77b4) on the screenshot.
    const html = path.join(m.reportDir, 'report.html');
    const dom = await execa('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', `file://${html}`], {
      reject: false,
      timeout: 60_000,
    });
    expect(dom.stdout).toContain('data-rendered="true"');
    const png = path.join(tmp, 'report.png');
    await execa(
      'chromium',
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--window-size=1200,1000',
        '--virtual-time-budget=5000',
        `--screenshot=${png}`,
        `file://${html}`,
      ],
      { reject: false, timeout: 60_000 },
    );
    const img = PNG.sync.read(readFileSync(png));
    let bar = 0;
    for (let i = 0; i < img.data.length; i += 4)
      if (Math.abs(img.data[i]! - 0x1f) < 8 && Math.abs(img.data[i + 1]! - 0x77) < 8 && Math.abs(img.data[i + 2]! - 0xb4) < 8) bar++;
    expect(bar).toBeGreaterThan(2000);
  });
});
