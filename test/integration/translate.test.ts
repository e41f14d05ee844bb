/**
 * Offset translation proven against real MirrorMaker 2, with live traffic and groups stopped at several positions,
 * for offset.lag.max 100 (MM2's default) and 0:
 * - every translated offset equals what MM2 itself writes into the target group with sync.group.offsets.enabled;
 * - consuming on dr from the translated offset skips no record the group had not consumed on primary (by sequence
 *   numbers), and the records consumed on both clusters equal the reported re-read figure, per partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../src/clusters/schema.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { replicationLag } from '../../src/mm2/lag.js';
import { translateOffsets, type TranslationResult } from '../../src/mm2/translate.js';
import { sandboxUp } from '../../src/rehearsal/sandbox/sandbox.js';
import { Traffic } from '../../src/rehearsal/traffic/generator.js';
import { waitFor } from '../../src/util/wait.js';
import { eventually, sandbox, uniqueName, sandboxFlow } from './helpers.js';

const flow: FlowConfig = sandboxFlow();

let primary: KafkaPort;
let dr: KafkaPort;
beforeAll(() => {
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
});
afterAll(async () => {
  await Promise.all([primary.close(), dr.close()]);
  // Leave the shared sandbox as the global setup made it.
  await sandboxUp({ stateDir: sandbox().options.stateDir, offsetLagMax: 100, syncGroupOffsets: false });
});

/** Polls the traffic generator's own counters until `cond` holds (60 s, then fails naming `what`). */
const until = (what: string, cond: () => boolean) =>
  waitFor(
    what,
    async () => {
      if (!cond()) throw new Error('not yet');
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );

describe.each([0, 100])('translation with offset.lag.max=%i', (offsetLagMax) => {
  const id = uniqueName(`t${offsetLagMax}`);
  const topics = [
    { name: `orders-${id}`, partitions: 6 },
    { name: `payments-${id}`, partitions: 3 },
  ];
  const groups = ['fast', 'mid', 'slow'].map((g) => `${g}-${id}`);
  const include = [new RegExp(`-${id}$`)];
  let traffic: Traffic;
  let result: TranslationResult;

  beforeAll(async () => {
    // MM2 restarted with this offset.lag.max and its own group offset sync on (target groups do not exist yet).
    await sandboxUp({ stateDir: sandbox().options.stateDir, offsetLagMax, syncGroupOffsets: true });
    traffic = new Traffic({
      bootstrapServers: sandbox().clusters.primary.bootstrapServers,
      topics,
      ratePerSecond: 300,
      groups: [
        { groupId: groups[0]!, topics: topics.map((t) => t.name) },
        { groupId: groups[1]!, topics: topics.map((t) => t.name), delayMs: 4 },
        { groupId: groups[2]!, topics: topics.map((t) => t.name), delayMs: 15 },
      ],
    });
    await traffic.start();
    // Positions set by conditions on the generator's counters (records acknowledged / consumed), not by durations.
    const produced = () => traffic.ledger.producedTotal();
    const consumed = (g: string) => traffic.ledger.consumedTotal(g);
    await until('1500 records produced and the slow group consuming', () => produced() >= 1500 && consumed(groups[2]!) >= 50);
    await traffic.stopGroup(groups[2]!); // slow: stopped early, far behind
    await until(
      '2700 records produced and the mid group 500 records ahead of the slow one',
      () => produced() >= 2700 && consumed(groups[1]!) >= consumed(groups[2]!) + 500,
    );
    await traffic.stopGroup(groups[1]!); // mid: stopped mid-stream
    await until('3600 records produced', () => produced() >= 3600);
    await traffic.stopProducing();
    const total = produced();
    const caughtUp = () =>
      [...traffic.ledger.producedCounts()].every(
        ([k, n]) => traffic.ledger.consumedSeqs(groups[0]!, k.slice(0, k.lastIndexOf('/')), Number(k.slice(k.lastIndexOf('/') + 1))).size >= n,
      );
    await until(`the fast group to consume every one of the ${total} records`, caughtUp);
    await traffic.stopGroup(groups[0]!); // fast: caught up
    expect(traffic.sendFailures).toBe(0);

    // Wait until MM2 has replicated everything and its checkpoints stopped changing. (MM2 ≥ 3.5 emits a new
    // checkpoint only when the downstream offset advances, so a checkpoint's upstream offset may stay below the
    // group's final commit: "settled" means caught up and unchanged over several emit intervals.)
    let previous = '';
    let stableSince = 0;
    result = await waitFor(
      'checkpoints of every group to settle',
      async () => {
        const lag = await replicationLag({ flow, source: primary, target: dr });
        const mine = lag.partitions.filter((p) => topics.some((t) => t.name === p.sourceTopic));
        const lagging = mine.filter((p) => p.lagRecords !== 0);
        if (mine.length !== 9 || lagging.length)
          throw new Error(
            `${mine.length} replicated partitions, lagging: ${JSON.stringify(lagging.map((p) => [p.partition, p.sourceHighWatermark, p.targetHighWatermark, p.lastSync, p.lagRecords]))}`,
          );
        const r = await translateOffsets({ flow, source: primary, target: dr, include });
        const key = JSON.stringify([r.partitions.map((p) => [p.group, p.topic, p.partition, p.targetOffset, p.basis]), r.untranslated]);
        if (key !== previous) {
          previous = key;
          stableSince = Date.now();
          throw new Error('translation still changing');
        }
        if (Date.now() - stableSince < 5000) throw new Error('stable for less than 5 s');
        return r;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
  });

  it('translates from checkpoints within the target log; what it cannot translate is listed with the reason', () => {
    // Every (group, partition) is either translated from a checkpoint or listed as not checkpointed. A group far
    // behind may have no offset sync old enough (MM2 then emits no checkpoint either: compared in the next test).
    expect(result.partitions.length + result.untranslated.length).toBe(27);
    expect(result.partitions.length).toBeGreaterThanOrEqual(18);
    expect(result.partitions.every((p) => p.basis === 'checkpoint' && !p.problem)).toBe(true);
    expect(result.untranslated.every((u) => u.reason === 'not-yet-checkpointed' && !u.fallback && u.group === groups[2])).toBe(true);
    expect(result.corrupt).toEqual([]);
    console.info(
      `offset.lag.max=${offsetLagMax}: ${result.partitions.length} partitions translated, ${result.untranslated.length} without checkpoint; ` +
        `re-read per group ${result.groups.map((g) => `${g.group.split('-')[0]}=${g.reReadRecords}`).join(' ')}; ` +
        `${result.reads.checkpointRecords} checkpoint and ${result.reads.offsetSyncRecords} offset-sync records read`,
    );
    const committedOn = (g: string) => result.partitions.filter((p) => p.group === g).reduce((s, p) => s + (p.sourceCommittedOffset ?? 0), 0);
    // The groups really are at different positions.
    expect(committedOn(groups[0]!)).toBeGreaterThan(committedOn(groups[1]!));
    expect(committedOn(groups[1]!)).toBeGreaterThan(committedOn(groups[2]!));
  });

  it('equals, partition by partition, what MM2 writes into the target groups with sync.group.offsets.enabled (nothing where it has no checkpoint)', async () => {
    const mine = new Map(result.partitions.map((p) => [`${p.group} ${p.topic}/${p.partition}`, p.targetOffset]));
    const synced = await eventually(
      'MM2 to sync every group to dr',
      async () => {
        const out = new Map<string, number>();
        for (const g of groups) for (const c of await dr.committedOffsets(g)) out.set(`${g} ${c.topic}/${c.partition}`, c.offset);
        const same = out.size === mine.size && [...mine].every(([k, v]) => out.get(k) === v);
        return same ? out : undefined;
      },
      60_000,
    ).catch(async (e: Error) => {
      const out: Record<string, number> = {};
      for (const g of groups) for (const c of await dr.committedOffsets(g)) out[`${g} ${c.topic}/${c.partition}`] = c.offset;
      throw new Error(`${e.message}\nours: ${JSON.stringify(Object.fromEntries(mine))}\nMM2: ${JSON.stringify(out)}`);
    });
    expect(Object.fromEntries(synced)).toEqual(Object.fromEntries(mine));
  });

  it('consuming on dr from the translated offsets skips nothing, and re-reads exactly the reported records', async () => {
    for (const g of groups) {
      // A fresh group on dr, set to the translated offsets through the port (admin semantics).
      const verify = `${g}-verify`;
      const rows = result.partitions.filter((p) => p.group === g);
      await dr.commitOffsets(
        verify,
        rows.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.targetOffset, metadata: p.metadata })),
      );
      await traffic.startGroup({ groupId: verify, topics: topics.map((t) => `primary.${t.name}`) }, sandbox().clusters.dr.bootstrapServers);
    }
    const ends = new Map<string, number>();
    for (const t of topics) for (const p of await dr.partitionOffsets(`primary.${t.name}`)) ends.set(`primary.${t.name}/${p.partition}`, p.highWatermark);
    await eventually(
      'the verify groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await dr.committedOffsets(`${g}-verify`);
          if (committed.length < 9 || committed.some((c) => c.offset < ends.get(`${c.topic}/${c.partition}`)!)) return undefined;
        }
        return true;
      },
      90_000,
    );
    for (const g of groups) await traffic.stopGroup(`${g}-verify`);

    const produced = traffic.ledger.producedCounts();
    expect(result.partitions.filter((p) => p.reReadRecords === null)).toEqual([]);
    for (const g of groups) {
      for (const p of result.partitions.filter((x) => x.group === g)) {
        const src = traffic.ledger.consumedSeqs(g, p.sourceTopic, p.partition);
        const onDr = traffic.ledger.consumedSeqs(`${g}-verify`, p.sourceTopic, p.partition);
        const total = produced.get(`${p.sourceTopic}/${p.partition}`) ?? 0;
        const skipped = Array.from({ length: total }, (_, seq) => seq).filter((seq) => !src.has(seq) && !onDr.has(seq));
        const reRead = [...onDr.keys()].filter((seq) => src.has(seq)).length;
        expect({ where: `${g} ${p.topic}/${p.partition}`, skipped: skipped.length, reRead }).toEqual({
          where: `${g} ${p.topic}/${p.partition}`,
          skipped: 0,
          reRead: p.reReadRecords,
        });
      }
    }
  });

  it('record-match: the offsets are the copies of each next record on dr — consuming from them skips nothing and re-reads nothing', async () => {
    const exact = await translateOffsets({ flow, source: primary, target: dr, include, method: 'record-match' });
    const rows = exact.partitions.filter((p) => p.basis === 'record-match');
    // Every row MM2 could translate was matched (the source answers and replication has caught up).
    expect(rows.length).toBe(exact.partitions.length);
    expect(rows.every((p) => p.reReadRecords === 0 && !p.problem)).toBe(true);
    for (const g of groups) {
      const mine = rows.filter((p) => p.group === g);
      await dr.commitOffsets(
        `${g}-exact`,
        mine.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.targetOffset, metadata: p.metadata })),
      );
      await traffic.startGroup({ groupId: `${g}-exact`, topics: topics.map((t) => `primary.${t.name}`) }, sandbox().clusters.dr.bootstrapServers);
    }
    const ends = new Map<string, number>();
    for (const t of topics) for (const p of await dr.partitionOffsets(`primary.${t.name}`)) ends.set(`primary.${t.name}/${p.partition}`, p.highWatermark);
    await eventually(
      'the exact groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await dr.committedOffsets(`${g}-exact`);
          if (committed.length < rows.filter((p) => p.group === g).length || committed.some((c) => c.offset < ends.get(`${c.topic}/${c.partition}`)!))
            return undefined;
        }
        return true;
      },
      90_000,
    );
    for (const g of groups) await traffic.stopGroup(`${g}-exact`);
    const produced = traffic.ledger.producedCounts();
    let conservative = 0;
    for (const p of rows) {
      const src = traffic.ledger.consumedSeqs(p.group, p.sourceTopic, p.partition);
      const onDr = traffic.ledger.consumedSeqs(`${p.group}-exact`, p.sourceTopic, p.partition);
      const total = produced.get(`${p.sourceTopic}/${p.partition}`) ?? 0;
      const skipped = Array.from({ length: total }, (_, seq) => seq).filter((seq) => !src.has(seq) && !onDr.has(seq)).length;
      const reRead = [...onDr.keys()].filter((seq) => src.has(seq)).length;
      expect({ where: `${p.group} ${p.topic}/${p.partition}`, skipped, reRead }).toEqual({
        where: `${p.group} ${p.topic}/${p.partition}`,
        skipped: 0,
        reRead: 0,
      });
      conservative += result.partitions.find((x) => x.group === p.group && x.topic === p.topic && x.partition === p.partition)?.reReadRecords ?? 0;
    }
    console.info(`offset.lag.max=${offsetLagMax}: record-match made ${rows.length} partitions exact (0 re-reads; MM2's translation re-read ${conservative})`);
  });
});
