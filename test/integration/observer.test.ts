/**
 * Observer clusters against the shared sandbox, with a copy of its clusters file that declares dr `role: observer`:
 * `check` reports nothing observer-related while only MM2 writes into dr, reports `observer-written` naming dr, the
 * topic and its growth in records while the test produces to a local topic on dr (checked against the topic read
 * back with a separate client), and `plan runbooks/planned-failover.yaml` / `offsets move` onto dr are refused
 * (exit 2, naming `clusters.dr.role`) with no runs directory made and nothing written to dr.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Finding } from '../../src/check/findings.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { kafkaFor, readAll, resetSharedSandbox, runCli, sandbox, sandboxRunArgs, uniqueName } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kf-observer-it-'));
const observerFile = path.join(dir, 'clusters-observer.yaml');
const topic = uniqueName('obs-local');
let dr: KafkaPort;

async function check(window: string) {
  const r = await runCli(['check', '--clusters', observerFile, '--output', 'json', '--observer-window', window]);
  const report = JSON.parse(r.stdout) as { findings: Finding[]; notes: string[]; exitCode: number };
  expect(r.exitCode).toBe(report.exitCode);
  return report;
}
const observerFindings = (r: { findings: Finding[] }) => r.findings.filter((f) => f.id.startsWith('observer-'));

beforeAll(async () => {
  await resetSharedSandbox();
  const doc = YAML.parseDocument(readFileSync(sandbox().clustersFile, 'utf8'));
  doc.setIn(['clusters', 'dr', 'role'], 'observer');
  writeFileSync(observerFile, doc.toString());
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await dr.createTopic(topic, 2);
});

afterAll(async () => {
  await dr?.close();
});

describe('observer clusters (dr declared role: observer)', { shuffle: false }, () => {
  it('check reports nothing observer-related while only MM2 writes into dr', async () => {
    const r = await check('2s');
    expect(observerFindings(r)).toEqual([]);
    // The local topic was watched (it exists on dr and is no copy), not skipped.
    expect(r.notes.join('\n')).toContain(topic);
  });

  it('check reports observer-written naming dr, the topic and its growth while a producer writes to it', async () => {
    const producer = kafkaFor('dr').producer();
    await producer.connect();
    let sent = 0;
    let stop = false;
    // Writes throughout the check (until it has answered), so the window sees growth however the machine is loaded.
    const writing = (async () => {
      while (!stop) {
        await producer.send({ topic, messages: [{ value: `stray-${sent}`, partition: sent % 2 }] });
        sent++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let r: Awaited<ReturnType<typeof check>>;
    try {
      r = await check('3s');
    } finally {
      stop = true;
      await writing;
      await producer.disconnect();
    }
    const written = observerFindings(r).filter((f) => f.id === 'observer-written');
    expect(written.map((f) => [f.where, f.subject, f.severity])).toEqual([['dr', topic, 'high']]);
    // Oracle: the records on dr, read back with a separate client. The check counts only what arrived in its window.
    const onDr = (await readAll('dr', topic, 0)).length + (await readAll('dr', topic, 1)).length;
    expect(onDr).toBe(sent);
    const records = written[0]!.evidence.records as number;
    expect(records).toBeGreaterThan(0);
    expect(records).toBeLessThanOrEqual(onDr);
    expect(r.exitCode).toBeGreaterThanOrEqual(11); // high
  });

  it('plan runbooks/planned-failover.yaml and offsets move onto the observer are refused, nothing written', async () => {
    const topicsBefore = (await dr.listTopics()).sort();
    const groupsBefore = (await dr.listGroups()).map((g) => g.groupId).sort();
    const runsDir = path.join(dir, 'runs');
    const args = sandboxRunArgs(runsDir, { groups: 'billing|shipping', topics: 'orders' });
    const plan = await runCli(['plan', 'runbooks/planned-failover.yaml', ...args.map((a) => (a === sandbox().clustersFile ? observerFile : a)), '--yes']);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toMatch(new RegExp(`${observerFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ clusters\\.dr\\.role: dr is an observer`));
    const move = await runCli(['offsets', 'move', '--clusters', observerFile, '--flow', 'primary->dr', '--group', 'billing']);
    expect(move.exitCode).toBe(2);
    expect(move.stderr).toContain('clusters.dr.role');
    expect(existsSync(runsDir)).toBe(false);
    expect((await dr.listTopics()).sort()).toEqual(topicsBefore);
    expect((await dr.listGroups()).map((g) => g.groupId).sort()).toEqual(groupsBefore);
  });
});
