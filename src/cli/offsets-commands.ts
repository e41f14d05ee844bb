/**
 * `kafka-failover offsets translate | lag`: read-only views of what MM2 wrote — the translated offsets with their
 * staleness and re-read figures, and the replication lag per partition. Nothing is written to any cluster.
 */
import { table } from './table.js';
import { InvalidArgumentError, type Command } from 'commander';
import { type OffsetPlanProof, proveOffsetPlan, summarizeProof } from '../gates/continuity.js';
import { replicationLag } from '../mm2/lag.js';
import { positions } from '../steps/reset-consumer-groups.js';
import { translateOffsets, type TranslationResult } from '../mm2/translate.js';
import { openFlow, withClustersOptions } from './clusters-options.js';
import { oneOf } from './parse.js';
import { InvalidInputError } from '../errors.js';
import { clientSettings } from '../clusters/load.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import type { OffsetPlanRow } from '../mm2/plan.js';
import type { PlanContext } from '../steps/translate-back.js';
import { planMove, translateMove } from '../steps/translate-move.js';
import { regexProblem } from '../util/regex.js';

const say = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Collects a repeatable regex option; an invalid pattern is refused by commander (exit 2) with the reason. */
const regexList = (v: string, prev: RegExp[] = []) => {
  const problem = regexProblem(v);
  if (problem)
    throw new InvalidArgumentError(
      `not a valid regular expression (${problem.replace(/^Invalid regular expression: /, '')}). Escape special characters with a backslash, e.g. "orders\\(eu\\)" for orders(eu), or use ".*" for any.`,
    );
  return [...prev, new RegExp(v)];
};

function printTranslation(r: TranslationResult): void {
  const t = table(['group', 'type', 'topic', 'part', 'target offset', 'basis', 'ckpt age', 'source committed', 'since ckpt', 're-read', 'problem']);
  for (const p of r.partitions) {
    t.push([
      p.group,
      // A share group's target offset is a share-partition start offset (set with AlterShareGroupOffsets).
      `${p.groupType ?? '?'}${p.offsetKind === 'share-start-offset' ? ' (start offset)' : ''}`,
      p.topic,
      p.partition,
      p.targetOffset,
      p.basis === 'checkpoint' ? 'checkpoint' : p.basis === 'record-match' ? 'record match' : 'offset-sync fallback',
      p.checkpoint ? seconds(p.checkpoint.ageMs) : '',
      p.sourceCommittedOffset ?? '?',
      p.commitsSinceCheckpoint ?? '?',
      p.reReadRecords ?? '?',
      p.problem ?? '',
    ]);
  }
  process.stdout.write(`${t.toString()}\n`);
  const g = table(['group', 'partitions', 're-read records', 'problems']);
  for (const x of r.groups) g.push([x.group, x.partitions, x.reReadRecords ?? 'unknown', x.problems]);
  process.stdout.write(`${g.toString()}\n`);
  if (r.untranslated.length) {
    const u = table(['group', 'source topic', 'part', 'committed', 'reason', 'fallback']);
    for (const x of r.untranslated) u.push([x.group, x.sourceTopic, x.partition, x.sourceCommittedOffset, x.reason, x.fallback ? 'yes' : 'no']);
    process.stdout.write(`Source commits without a checkpoint:\n${u.toString()}\n`);
  }
  if (r.unmovableGroups.length) {
    const u = table(['group', 'type', 'why it cannot be moved']);
    for (const x of r.unmovableGroups) u.push([x.group, x.type, x.reason]);
    process.stdout.write(`Groups that cannot be moved:\n${u.toString()}\n`);
  }
  if (r.corrupt.length)
    say(
      `${r.corrupt.length} corrupt record(s) skipped: ${r.corrupt
        .slice(0, 5)
        .map((c) => `${c.topic}/${c.partition}@${c.offset}: ${c.reason}`)
        .join('; ')}`,
    );
  say(
    `Read ${r.reads.checkpointRecords} checkpoint record(s) from ${r.checkpointsTopic} and ${r.reads.offsetSyncRecords} offset sync(s)${r.offsetSyncsTopic ? ` from ${r.offsetSyncsTopic}` : ''}.`,
  );
}

function printProof(proof: OffsetPlanProof): void {
  const t = table(['group', 'topic', 'part', 'target offset', 'verdict', 're-reads', 'source record', 'record at target offset']);
  for (const r of proof.results)
    t.push([
      r.group,
      r.topic,
      r.partition,
      r.targetOffset,
      r.verdict,
      r.reReads ?? '',
      r.sourceRecord ? `${r.sourceRecord.offset} ${r.sourceRecord.hash.slice(0, 12)}` : 'end',
      r.targetRecord ? `${r.targetRecord.offset} ${r.targetRecord.hash.slice(0, 12)}` : 'end',
    ]);
  process.stdout.write(`Continuity proof (record digests: timestamp, key, value):\n${t.toString()}\n`);
  say(`Continuity: ${summarizeProof(proof.results)}${proof.gate.ok ? '' : ` — FAILED: ${JSON.stringify(proof.gate.observed)}`}`);
}

/** Adds the `offsets` command group. `setExit`: `translate --verify` exits 3 when the continuity proof fails. */
export function registerOffsetsCommands(program: Command, setExit: (code: number) => void = () => {}): void {
  const offsets = program.command('offsets').description('read-only views of MM2 offset translation and replication lag');

  withClustersOptions(offsets.command('move'))
    .description(
      "plan a workload move --flow <from>-><to> (read-only; the two clusters need no flow between them): every partition the groups committed on <from> with its path to <to> — <from>'s own topics through the flow's checkpoints, copies of <to>'s topics through the opposite flow's offset syncs read backwards, copies of a third cluster's topics through that cluster's offsets — its basis and target offset; exit 3 when one has no path",
    )
    .option('--group <regex>', 'groups to move (regular expression, whole name)', '.*')
    .option(
      '--method <method>',
      'record-match (exact where the record is found) or mm2 (checkpoints and offset syncs alone)',
      oneOf('mm2', 'record-match'),
      'record-match',
    )
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      const ports = await openFlow({ ...o, move: 'offsets move' });
      const others = new Map<string, KafkaPort>();
      try {
        const source = ports.source;
        if (!source) throw new InvalidInputError(`offsets move reads the groups on ${ports.flow.source}, which does not answer (${ports.sourceNote}).`);
        const ctx: PlanContext = {
          kafka: (alias) => {
            if (alias === ports.flow.source) return source;
            if (alias === ports.flow.target) return ports.target;
            // A third cluster of the clusters file (a copy's origin, a writer flow's source): opened on first use.
            let port = others.get(alias);
            if (!port) {
              port = createKafkaPort(alias, clientSettings(ports.loaded, alias));
              others.set(alias, port);
            }
            return port;
          },
          note: (message) => say(message),
          now: () => Date.now(),
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        };
        // Read-only view: no wait for checkpoints to catch up (a run's translate-move waits, once the groups stopped).
        const r = await planMove(
          ctx,
          ports.flow,
          ports.loaded.config.flows,
          translateMove.input.parse({ groups: o.group, method: o.method, checkpointWaitMs: 0 }),
        );
        const plan = (r.outputs?.plan ?? []) as OffsetPlanRow[];
        const failed = (r.gates ?? []).filter((g) => !g.ok);
        if (failed.length) setExit(3); // as a blocking gate
        if (o.output === 'json') {
          for (const p of plan) process.stdout.write(JSON.stringify({ kind: 'planned', ...p }) + '\n');
          for (const g of r.gates ?? []) process.stdout.write(JSON.stringify({ kind: 'gate', ...g }) + '\n');
          for (const c of (r.outputs?.conflicts ?? []) as object[]) process.stdout.write(JSON.stringify({ kind: 'conflict', ...c }) + '\n');
        } else {
          const t = table(['group', 'topic on source', 'topic on target', 'part', 'target offset', 'basis', 're-read', 'path']);
          for (const p of plan) t.push([p.group, p.sourceTopic, p.topic, p.partition, p.targetOffset, p.basis, p.reReadRecords ?? '?', p.path ?? '']);
          process.stdout.write(`${t.toString()}\n`);
          for (const g of failed) say(`BLOCKED ${g.id}: ${g.description} — observed ${JSON.stringify(g.observed)}; expected ${g.expected}`);
        }
      } finally {
        await Promise.all([...others.values()].map((p) => p.close()));
        await ports.close();
      }
    });

  withClustersOptions(offsets.command('translate'))
    .description(
      'translate consumer-group offsets: MM2 checkpoints and offset syncs, made exact by record matching when the source answers; target offsets, staleness, records to re-read',
    )
    .option('--group <regex>', 'only groups matching (repeatable)', regexList)
    .option('--exclude-group <regex>', 'leave out groups matching (repeatable)', regexList)
    .option('--source-unreachable', 'do not contact the source cluster (emergency: checkpoints alone)')
    .option(
      '--method <method>',
      'mm2 (checkpoints, offset syncs where none) or record-match (then each offset made exact by finding the next record on the target; needs the source)',
      oneOf('mm2', 'record-match'),
      'record-match',
    )
    .option(
      '--verify',
      'prove each translated offset against both clusters (the record there is the one the group reads next on the source, re-reads verified); exit 3 when one fails',
    )
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      const ports = await openFlow(o);
      try {
        if (ports.sourceNote) say(ports.sourceNote);
        const r = await translateOffsets({
          flow: ports.flow,
          target: ports.target,
          ...(ports.source ? { source: ports.source } : {}),
          include: o.group ?? [],
          exclude: o.excludeGroup ?? [],
          method: o.method,
        });
        let proof: OffsetPlanProof | undefined;
        if (o.verify) {
          if (!ports.source) throw new Error('--verify reads the source cluster: it cannot be combined with --source-unreachable, and the source must answer');
          const source = ports.source;
          proof = await proveOffsetPlan({
            plan: r.partitions,
            source,
            target: ports.target,
            sourceAlias: ports.flow.source,
            targetAlias: ports.flow.target,
            sourcePositions: (group, kind) => positions(source, group, kind),
          });
          if (!proof.gate.ok) setExit(3); // as a blocking gate
        }
        if (o.output === 'json') {
          for (const c of proof?.results ?? []) process.stdout.write(JSON.stringify({ kind: 'continuity', ...c }) + '\n');
          for (const p of r.partitions) process.stdout.write(JSON.stringify({ kind: 'translated', ...p }) + '\n');
          for (const u of r.untranslated) process.stdout.write(JSON.stringify({ kind: 'untranslated', ...u }) + '\n');
          for (const u of r.unmovableGroups) process.stdout.write(JSON.stringify({ kind: 'unmovable', ...u }) + '\n');
          for (const c of r.corrupt) process.stdout.write(JSON.stringify({ kind: 'corrupt', ...c }) + '\n');
          process.stdout.write(
            JSON.stringify({
              kind: 'summary',
              flow: r.flow,
              sourceReachable: r.sourceReachable,
              groups: r.groups,
              reads: r.reads,
              checkpointsTopic: r.checkpointsTopic,
              offsetSyncsTopic: r.offsetSyncsTopic,
              ...(proof ? { continuity: proof.gate } : {}),
            }) + '\n',
          );
        } else {
          printTranslation(r);
          if (proof) printProof(proof);
        }
      } finally {
        await ports.close();
      }
    });

  withClustersOptions(offsets.command('lag'))
    .description('replication lag per partition (offset syncs when the source answers; heartbeat and last-record age when not)')
    .option('--source-unreachable', 'do not contact the source cluster')
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      const ports = await openFlow(o);
      try {
        if (ports.sourceNote) say(ports.sourceNote);
        const now = Date.now();
        const r = await replicationLag({ flow: ports.flow, target: ports.target, ...(ports.source ? { source: ports.source } : {}), now: () => now });
        if (o.output === 'json') {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        const t = table(['source topic', 'part', 'source HWM', 'target HWM', 'last sync U→D', 'lag (records)', 'lag ≤', 'last record age']);
        for (const p of r.partitions) {
          t.push([
            p.sourceTopic,
            p.partition,
            p.sourceHighWatermark ?? '?',
            p.targetHighWatermark,
            p.lastSync ? `${p.lastSync.upstreamOffset}→${p.lastSync.downstreamOffset}` : 'none',
            p.lagRecords ?? '?',
            p.lagUpperBound ?? '?',
            p.lastReplicatedTimestamp ? seconds(now - p.lastReplicatedTimestamp) : 'empty',
          ]);
        }
        process.stdout.write(`${t.toString()}\n`);
        say(
          r.heartbeat
            ? `Newest heartbeat replicated from ${ports.flow.source} to ${ports.flow.target}: ${seconds(r.heartbeat.ageMs)} old (${r.heartbeat.topic}).`
            : `No heartbeat replicated from ${ports.flow.source} found on ${ports.flow.target} (nothing writes heartbeats into ${ports.flow.source}'s heartbeats topic).`,
        );
        say(
          r.mm2Heartbeat
            ? `MM2's own newest heartbeat for ${ports.flow.source}->${ports.flow.target}: ${seconds(r.mm2Heartbeat.ageMs)} old (MM2 alive; says nothing about ${ports.flow.source}).`
            : `No MM2 heartbeat for ${ports.flow.source}->${ports.flow.target} on ${ports.flow.target}.`,
        );
      } finally {
        await ports.close();
      }
    });
}
