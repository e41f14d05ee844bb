/**
 * The active-active sandbox (`sandbox up --topology active-active`, docs/design/topologies.md): the same two clusters
 * `primary` and `dr`, with MirrorMaker 2 running in both directions at once — `mm2` (primary → dr) and `mm2-reverse`
 * (dr → primary) — under DefaultReplicationPolicy, so `orders` on primary appears as `primary.orders` on dr and
 * `orders` on dr as `dr.orders` on primary; MM2's cycle detection by prefix (MirrorSourceConnector.isCycle) keeps
 * either copy from going back. Each cluster is both a source and a target; the names `primary` and `dr` are only the
 * aliases (every sandbox component, fault control and clusters-file writer is keyed by them).
 *
 * This module adds what the two-cluster sandbox lacks: the reverse flow started by `up` (not only for a failback),
 * and a readiness probe for it (a record crossing dr → primary).
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../errors.js';
import { createKafka, protocolCluster } from '../../kafka/kafkajs-client.js';
import { readPartition } from '../../kafka/read-partition.js';
import { giveUp, waitFor } from '../../util/wait.js';
import { MM2_REVERSE, startReverseMirrorMaker, writeJavaConfigs } from './launch.js';
import { isAlive } from './processes.js';
import { PROBE_TOPIC, sandboxAdminSecurity } from './readiness.js';
import type { SandboxState } from './state.js';
import { DR, PRIMARY, bootstrapServers, clusterBrokers, topology, type SandboxOptions } from './topology.js';

/**
 * Refuses option combinations an active-active sandbox cannot have: the reverse MM2 is dedicated-mode only, and
 * the identity policy cannot tell a copy from an original (records would circle between the clusters forever).
 * @throws InvalidInputError naming the option and how to fix it.
 */
export function assertActiveActiveOptions(o: SandboxOptions): void {
  if (!o.activeActive) return;
  if (o.mm2Mode !== 'dedicated')
    throw new InvalidInputError('--topology active-active runs two dedicated MirrorMaker 2 processes; --mm2-mode connect is not supported with it.', {
      hint: 'Leave out --mm2-mode (dedicated is the default).',
    });
  if (o.replicationPolicy === 'identity')
    throw new InvalidInputError(
      '--topology active-active with --replication-policy identity would replicate every record in a loop (identity names carry no origin, so MM2 cannot detect the cycle).',
      { hint: 'Use the default replication policy (remote topics primary.<topic> and dr.<topic>).' },
    );
}

/**
 * Starts the reverse MirrorMaker 2 (dr → primary) when it does not run, and waits until a probe record written to
 * `sandbox-probe` on dr appears in `dr.sandbox-probe` on primary, and the reverse flow's checkpoints topic
 * (`dr.checkpoints.internal` on primary) and offset-syncs topic (`mm2-offset-syncs.primary.internal` on dr) exist.
 * @throws WaitTimeoutError (3 minutes) pointing at `mm2-reverse.log`; immediately when the process exits.
 */
export async function ensureReverseFlow(state: SandboxState, java: string, progress: (line: string) => void): Promise<void> {
  if (!isAlive(state.processes[MM2_REVERSE])) {
    progress('Starting MirrorMaker 2 dr → primary (mm2-reverse: active-active)');
    await writeJavaConfigs(state);
    await startReverseMirrorMaker(state, java);
  }
  const t = topology(state.options);
  const extra = await sandboxAdminSecurity(state);
  const opts = extra ? { extra } : {};
  const primary = createKafka({ bootstrapServers: bootstrapServers(t, PRIMARY), clientId: 'kafka-failover-sandbox', ...opts });
  const dr = createKafka({ bootstrapServers: bootstrapServers(t, DR), clientId: 'kafka-failover-sandbox', ...opts });
  const [pAdmin, dAdmin] = [primary.admin(), dr.admin()];
  const producer = dr.producer({ allowAutoTopicCreation: false });
  const pCluster = protocolCluster(primary);
  const hint = `See ${state.options.stateDir}/mm2-reverse.log.`;
  const alive = () => {
    if (!isAlive(state.processes[MM2_REVERSE])) throw giveUp(new Error(`mm2-reverse exited. ${hint}`));
  };
  const remote = `${DR}.${PROBE_TOPIC}`;
  try {
    await Promise.all([pAdmin.connect(), dAdmin.connect()]);
    await waitFor(
      'MirrorMaker 2 dr → primary internal topics (dr.checkpoints.internal on primary, mm2-offset-syncs.primary.internal on dr)',
      async () => {
        alive();
        const [onPrimary, onDr] = await Promise.all([pAdmin.listTopics(), dAdmin.listTopics()]);
        const missing = [
          ...(onPrimary.includes(`${DR}.checkpoints.internal`) ? [] : [`${DR}.checkpoints.internal on primary`]),
          ...(onDr.includes(`mm2-offset-syncs.${PRIMARY}.internal`) ? [] : [`mm2-offset-syncs.${PRIMARY}.internal on dr`]),
        ];
        if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
      },
      { timeoutMs: 180_000, intervalMs: 1000, hint },
    );
    if (!(await dAdmin.listTopics()).includes(PROBE_TOPIC))
      await dAdmin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor: clusterBrokers(t, DR).length }], waitForLeaders: true });
    const marker = `probe-${randomUUID()}`;
    await producer.connect();
    // Sent again until acknowledged: a loaded machine can answer NOT_LEADER_OR_FOLLOWER for a while (readiness.ts).
    await waitFor(
      `the probe record to be acknowledged by dr (${PROBE_TOPIC})`,
      async () => {
        alive();
        await producer.send({ topic: PROBE_TOPIC, acks: -1, messages: [{ key: 'probe', value: marker }] });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 1000, hint },
    );
    await pCluster.connect();
    await waitFor(
      `the probe record to appear in ${remote} on primary`,
      async () => {
        alive();
        const end = Number((await pAdmin.fetchTopicOffsets(remote))[0]?.high ?? 0);
        let seen = false;
        await pCluster.refreshMetadata();
        await readPartition(pCluster, remote, 0, { fromOffset: 0, toOffset: end }, (r) => {
          if (r.value?.toString() === marker) seen = true;
        });
        if (!seen) throw new Error(`${remote} has ${end} record(s), none is the probe yet`);
      },
      { timeoutMs: 180_000, intervalMs: 1000, hint },
    );
    progress(`Probe record crossed dr → primary (${remote})`);
  } finally {
    await Promise.allSettled([pAdmin.disconnect(), dAdmin.disconnect(), producer.disconnect(), pCluster.disconnect()]);
  }
}
