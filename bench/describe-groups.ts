/**
 * Benchmark: describe-and-gate for 1,000 groups of mixed types on a real Kafka 4.x sandbox broker (issue 14).
 * Makes, on dr: 500 classic groups (admin commits, which create simple classic groups), 450 KIP-848 consumer groups
 * left empty (a member joined with ConsumerGroupHeartbeat and left) and 50 consumer groups with a member that joined
 * and has not left (it stays until the broker's session timeout, 45 s by default). Then times what the
 * `target-groups-empty` gate does — `listGroups` (ListGroups v5 on every broker), `describeGroups` of all 1,000
 * (FindCoordinator per group, DescribeGroups for classic, ConsumerGroupDescribe for consumer groups) and the gate —
 * three times, and checks the answer (500 classic, 500 consumer, 50 with a member). Usage: npm run bench:groups.
 * Figures → docs/benchmarks.md.
 *
 * ConsumerGroupHeartbeat (API key 68, v0, flexible; ConsumerGroupHeartbeatRequest.json): GroupId, MemberId,
 * MemberEpoch (0 = join, −1 = leave), InstanceId, RackId, RebalanceTimeoutMs, SubscribedTopicNames, ServerAssignor,
 * TopicPartitions, tagged fields. The response starts ThrottleTimeMs, ErrorCode.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { groupsEmptyGate } from '../src/gates/groups-empty.js';
import { createKafkaPort } from '../src/kafka/kafkajs-adapter.js';
import { createKafka, protocolCluster } from '../src/kafka/kafkajs-client.js';
import { sandboxDown, sandboxUp } from '../src/rehearsal/sandbox/sandbox.js';

type Enc = {
  writeInt32(v: number): Enc;
  writeUVarInt(v: number): Enc;
  writeUVarIntString(s: string | null): Enc;
  writeUVarIntArray(a: Enc[] | null): Enc;
  buffer: Buffer;
};
type Dec = { readInt16(): number; readInt32(): number; readTaggedFields(): unknown };
const req = createRequire(import.meta.url);
const Encoder = req('kafkajs/src/protocol/encoder.js') as new () => Enc;
const Decoder = req('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => Dec;

const stateDir = path.resolve('.kafka-failover/bench-groups');
const s = await sandboxUp({ stateDir, portBase: 33090 });
const bootstrapServers = s.clusters.dr.bootstrapServers;
const kafka = createKafka({ bootstrapServers, clientId: 'bench-groups' });
const admin = kafka.admin();
await admin.connect();
const cluster = protocolCluster(kafka);
await cluster.connect();
const dr = createKafkaPort('dr', { bootstrapServers });
const topic = 'bench-groups';
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
const run = randomUUID().slice(0, 6);

/** One ConsumerGroupHeartbeat v0 to the group's coordinator; throws on an error code. */
async function heartbeat(groupId: string, memberId: string, memberEpoch: number): Promise<void> {
  const broker = (await cluster.findGroupCoordinator({ groupId })) as unknown as { connectionPool: { send(r: object): Promise<unknown> } };
  const e = () => new Encoder();
  const joining = memberEpoch === 0;
  const body = e()
    .writeUVarInt(0) // request header tagged fields
    .writeUVarIntString(groupId)
    .writeUVarIntString(memberId)
    .writeInt32(memberEpoch)
    .writeUVarIntString(null)
    .writeUVarIntString(null)
    .writeInt32(joining ? 30_000 : -1)
    .writeUVarIntArray(joining ? [e().writeUVarIntString(topic)] : null)
    .writeUVarIntString(null)
    .writeUVarIntArray(joining ? [] : null)
    .writeUVarInt(0).buffer;
  const errorCode = (await broker.connectionPool.send({
    request: { apiKey: 68, apiVersion: 0, apiName: 'ConsumerGroupHeartbeat', encode: async () => ({ buf: body, buffer: body }) },
    response: {
      decode: async (raw: Buffer) => {
        const d = new Decoder(raw);
        d.readTaggedFields();
        d.readInt32();
        return d.readInt16();
      },
      parse: async (x: number) => x,
    },
  })) as number;
  if (errorCode !== 0) throw new Error(`ConsumerGroupHeartbeat ${groupId} epoch ${memberEpoch}: error ${errorCode}`);
}

const classic = Array.from({ length: 500 }, (_, i) => `bench-classic-${run}-${i}`);
const consumer = Array.from({ length: 500 }, (_, i) => `bench-consumer-${run}-${i}`);
const t0 = performance.now();
const log = (what: string) => process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);
// Ten at a time (each admin commit and heartbeat waits for its own answer).
const inBatches = async <T>(xs: T[], fn: (x: T) => Promise<unknown>) => {
  for (let i = 0; i < xs.length; i += 10) await Promise.all(xs.slice(i, i + 10).map(fn));
};
await inBatches(classic, (g) => dr.commitOffsets(g, [{ topic, partition: 0, offset: 0 }]));
log('500 classic groups');
await inBatches(consumer.slice(50), async (g) => {
  const member = randomUUID();
  await heartbeat(g, member, 0);
  await heartbeat(g, member, -1);
});
log('450 empty consumer groups');
// Last, so that the broker's 45 s session timeout does not expire them before the runs below.
await inBatches(consumer.slice(0, 50), (g) => heartbeat(g, randomUUID(), 0));
log('50 consumer groups with a member');
const setupS = (performance.now() - t0) / 1000;

const rows: string[] = [];
for (let i = 1; i <= 3; i++) {
  const start = performance.now();
  const ids = [...classic, ...consumer];
  const described = await dr.describeGroups(ids);
  const gate = groupsEmptyGate(described, 'bench');
  const ms = performance.now() - start;
  const byType = (t: string) => described.filter((g) => g.type === t).length;
  const live = (gate.observed as { groupsWithMembers: string[] }).groupsWithMembers.length;
  if (byType('classic') !== 500 || byType('consumer') !== 500 || live !== 50)
    throw new Error(`unexpected answer: ${byType('classic')} classic, ${byType('consumer')} consumer, ${live} with members`);
  rows.push(`| ${i} | 1,000 (500 classic, 500 consumer) | ${live} | ${(ms / 1000).toFixed(2)} s |`);
  log(`run ${i}: ${(ms / 1000).toFixed(2)} s`);
}
await Promise.allSettled([admin.disconnect(), cluster.disconnect(), dr.close()]);
await sandboxDown({ stateDir, wipe: true });
process.stdout.write(
  `Kafka ${s.kafkaVersion}, groups made in ${setupS.toFixed(1)} s\n| run | groups described | groups with members (gate blocks) | list + describe + gate |\n|---|---|---|---|\n${rows.join('\n')}\n`,
);
