/**
 * The audit chain's anchor (issue 11, item 5) and the resume hardening that goes with it: a finished real run writes
 * its head hash to a compacted topic on the target; `judgeAudit` says OK / OPEN / BROKEN against it (a cut tail and a
 * consistently rewritten chain are BROKEN when the anchor is reachable). The Kafka port is an in-memory log per topic that
 * behaves as the port documents (offsets from 0, high watermark = next offset, latest record per key wins on read).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ANCHOR_TOPIC, judgeAudit, readAnchor, type AnchorLookup } from '../../../src/engine/audit-anchor.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import type { KafkaPort } from '../../../src/kafka/port.js';
import { clusters } from './fixtures.js';

/** One in-memory cluster: topics as append-only logs of keyed records (one partition each, as the anchor uses). */
export function memoryCluster() {
  const topics = new Map<string, { configs: Record<string, string>; records: { key: Buffer | null; value: Buffer; timestamp: number }[] }>();
  const port = {
    alias: 'b',
    describeCluster: async () => ({ clusterId: 'x', controllerId: 1, brokers: [] }),
    listTopics: async () => [...topics.keys()],
    createTopic: async (name: string, _p: number, _rf?: number, configs: Record<string, string> = {}) => {
      if (!topics.has(name)) topics.set(name, { configs, records: [] });
    },
    produce: async (topic: string, recs: { key?: string | Buffer | null; value: string | Buffer }[]) => {
      const t = topics.get(topic);
      if (!t) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${topic}`);
      return recs.map((r) => {
        t.records.push({ key: r.key == null ? null : Buffer.from(r.key), value: Buffer.from(r.value), timestamp: Date.now() });
        return { partition: 0, offset: t.records.length - 1 };
      });
    },
    partitionOffsets: async (topic: string) => [{ partition: 0, logStartOffset: 0, highWatermark: topics.get(topic)?.records.length ?? 0 }],
    readRange: async (topic: string, partition: number, from: number, to: number, onRecord: (r: unknown) => void) => {
      topics
        .get(topic)!
        .records.slice(from, to)
        .forEach((r, i) => onRecord({ topic, partition, offset: from + i, ...r }));
    },
    close: async () => {},
  } as unknown as KafkaPort;
  return { port, topics };
}

function registry(writes: string[]) {
  return new StepRegistry()
    .register(
      defineStep({
        kind: 'write',
        description: 'writes to b',
        writes: true,
        input: z.strictObject({ what: z.string() }),
        async check() {
          return {};
        },
        async apply(ctx, i) {
          await ctx.write({ action: 'write', cluster: 'b', details: { what: i.what } }, async () => writes.push(i.what));
          return {};
        },
      }),
    )
    .register(
      defineStep({
        kind: 'slow',
        description: 'waits',
        writes: false,
        input: z.strictObject({}),
        async check(ctx) {
          await ctx.sleep(5000);
          return {};
        },
      }),
    );
}

export async function finishedRun(o: { dryRun?: boolean; yaml?: string; pause?: AbortSignal } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-anchor-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(
    file,
    `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n${o.yaml ?? '  - { id: w1, kind: write, with: { what: one } }\n  - { id: w2, kind: write, with: { what: two } }\n'}`,
  );
  const writes: string[] = [];
  const reg = registry(writes);
  const runbook = await loadRunbook(file, reg);
  const b = memoryCluster();
  const runsDir = path.join(dir, 'runs');
  const r = await runRunbook({
    runbook,
    clusters,
    registry: reg,
    dryRun: o.dryRun ?? false,
    yes: true,
    runsDir,
    kafka: () => b.port,
    lock: false,
    operator: 'tester',
    ...(o.pause ? { pauseSignal: o.pause } : {}),
  });
  return { ...r, b, runsDir, reg, runbook, writes, text: readFileSync(r.auditFile, 'utf8') };
}

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

/** Rewrites every record (`edit` on the parsed body) and recomputes seq/prev/hash: a consistent forgery. */
function rechain(text: string, edit: (rec: Record<string, unknown>) => void): string {
  let prev = '0'.repeat(64);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const { hash: _h, ...rec } = JSON.parse(line) as Record<string, unknown>;
      edit(rec);
      rec.prev = prev;
      const body = JSON.stringify(rec);
      prev = sha256(body);
      return `${body.slice(0, -1)},"hash":"${prev}"}`;
    })
    .join('\n')
    .concat('\n');
}

const cutLast = (text: string) => text.trim().split('\n').slice(0, -1).join('\n') + '\n';
const reachable = async (port: KafkaPort, runId: string): Promise<AnchorLookup> => {
  const anchor = await readAnchor(port, runId);
  return anchor ? { reachable: true, cluster: 'b', anchor } : { reachable: true, cluster: 'b' };
};
const unreachable: AnchorLookup = { reachable: false, reason: 'b did not answer: connect ECONNREFUSED' };

describe('the audit anchor', () => {
  it('a finished real run writes its head (run id, seq and hash of run.finished, outcome) to a compacted topic on the target', async () => {
    const r = await finishedRun();
    expect(r.outcome).toBe('succeeded');
    expect(r.anchor).toEqual({ written: true, cluster: 'b' });
    expect(r.b.topics.get(ANCHOR_TOPIC)?.configs).toEqual({ 'cleanup.policy': 'compact' });
    const last = JSON.parse(r.text.trim().split('\n').at(-1)!) as { kind: string; seq: number; hash: string };
    expect(last.kind).toBe('run.finished');
    expect(await readAnchor(r.b.port, r.runId)).toMatchObject({ runId: r.runId, seq: last.seq, head: last.hash, outcome: 'succeeded', flow: 'a->b' });
    expect(judgeAudit(r.text, await reachable(r.b.port, r.runId))).toMatchObject({ verdict: 'OK', note: expect.stringContaining('anchor on b matched') });
  });

  it('a cut tail (run.finished deleted) is BROKEN when the anchor is reachable, OPEN (never OK) when it is not', async () => {
    const r = await finishedRun();
    const cut = cutLast(r.text);
    const n = cut.trim().split('\n').length;
    expect(judgeAudit(cut, await reachable(r.b.port, r.runId))).toMatchObject({
      verdict: 'BROKEN',
      line: n + 1,
      reason: expect.stringContaining('the tail was cut'),
    });
    expect(judgeAudit(cut, unreachable)).toMatchObject({ verdict: 'OPEN', note: expect.stringContaining('anchor not checked') });
    expect(judgeAudit(r.text, unreachable)).toMatchObject({ verdict: 'OK', note: expect.stringContaining('anchor could not be reached') });
  });

  it('a consistently rewritten chain (every hash recomputed) is BROKEN against the anchor, and so is one forged under another run id', async () => {
    const r = await finishedRun();
    const forged = rechain(r.text, (rec) => {
      if (rec.kind === 'write.done') (rec.write as { details: { what: string } }).details.what = 'nothing';
    });
    expect(judgeAudit(forged, { reachable: false, reason: 'x' }).verdict).toBe('OK'); // the chain alone cannot tell
    expect(judgeAudit(forged, await reachable(r.b.port, r.runId))).toMatchObject({
      verdict: 'BROKEN',
      reason: expect.stringContaining('the chain was rewritten'),
    });
    const renamed = rechain(r.text, (rec) => {
      if (rec.runId) rec.runId = 'forged-run';
    });
    expect(judgeAudit(renamed, await reachable(r.b.port, 'forged-run'))).toMatchObject({
      verdict: 'BROKEN',
      reason: expect.stringContaining('no anchor for run forged-run'),
    });
  });

  it('a paused run is OPEN; a finished dry-run is OK without an anchor (dry-runs write nothing to clusters)', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort('test pause'), 200);
    const paused = await finishedRun({ yaml: '  - { id: s, kind: slow, with: {} }\n', pause: ctl.signal });
    expect(paused.outcome).toBe('paused');
    expect(paused.anchor).toBeUndefined();
    expect(judgeAudit(paused.text, await reachable(paused.b.port, paused.runId))).toMatchObject({
      verdict: 'OPEN',
      note: expect.stringContaining(`kafka-failover resume ${paused.runId}`),
    });
    const dry = await finishedRun({ dryRun: true });
    expect(dry.b.topics.has(ANCHOR_TOPIC)).toBe(false);
    expect(judgeAudit(dry.text, await reachable(dry.b.port, dry.runId))).toMatchObject({ verdict: 'OK', note: expect.stringContaining('dry-run') });
  });
});
