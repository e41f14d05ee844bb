/**
 * Readiness of the sandbox, by polling real clients — never by sleeping or grepping logs:
 * a cluster is ready when describe-cluster lists all its brokers; MirrorMaker 2 is ready when its internal topics
 * exist and a probe record produced on primary has been read back from `primary.<probe topic>` on dr.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createKafka, protocolCluster, type ClientSettings } from '../../kafka/kafkajs-client.js';
import { readPartition } from '../../kafka/read-partition.js';
import { giveUp, waitFor } from '../../util/wait.js';
import { isAlive } from './processes.js';
import { kafkajsSecurity } from './security.js';
import type { SandboxState } from './state.js';
import { DR, PRIMARY, bootstrapServers, clusterBrokers, clusterNodes, topology, type ClusterAlias } from './topology.js';

/** Topic on primary whose replica carries the readiness probe. */
export const PROBE_TOPIC = 'sandbox-probe';

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Fails the wait at once (with the log's tail) when one of the named processes has died. */
function assertRunning(state: SandboxState, names: string[]): void {
  for (const name of names) {
    const rec = state.processes[name];
    if (!isAlive(rec)) {
      throw giveUp(new Error(`${name} exited during start-up. Last lines of ${rec?.logFile ?? 'its log'}:\n${rec ? logTail(rec.logFile) : ''}`));
    }
  }
}

/**
 * Waits until a cluster answers describe-cluster with `brokers` brokers (up to 120 s).
 * @param check called before each attempt; throw `giveUp(error)` to stop (e.g. a node process died).
 * @throws WaitTimeoutError, or what `check` threw.
 */
export async function waitForBrokers(
  bootstrap: string[],
  brokers: number,
  label: string,
  check: () => void = () => {},
  hint?: string,
  extra?: ClientSettings['extra'],
): Promise<void> {
  const admin = createKafka({ bootstrapServers: bootstrap, clientId: 'kafka-failover-sandbox', ...(extra ? { extra } : {}) }).admin();
  try {
    await waitFor(
      `cluster ${label} to answer describe-cluster with ${brokers} broker(s)`,
      async () => {
        check();
        await admin.connect();
        const d = await admin.describeCluster();
        if (d.brokers.length < brokers) throw new Error(`${d.brokers.length} of ${brokers} brokers registered`);
      },
      { timeoutMs: 120_000, intervalMs: 500, ...(hint ? { hint } : {}) },
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs TLS/SASL settings of the sandbox's own administrative identity (the brokers' principal `broker`, a super
 * user: security.ts) for its readiness checks, probe record and ACL set-up; `{}` for a plaintext sandbox.
 */
export async function sandboxAdminSecurity(state: SandboxState): Promise<ClientSettings['extra']> {
  return kafkajsSecurity(state.options.security ?? 'plaintext', state.options.stateDir, 'broker') as Promise<ClientSettings['extra']>;
}

/** {@link waitForBrokers} for a sandbox cluster, failing at once (with the log's tail) if one of its nodes died. */
export async function waitForCluster(state: SandboxState, cluster: ClusterAlias): Promise<void> {
  const t = topology(state.options);
  const extra = await sandboxAdminSecurity(state);
  const nodes = clusterNodes(t, cluster);
  await waitForBrokers(
    bootstrapServers(t, cluster),
    clusterBrokers(t, cluster).length,
    cluster,
    () =>
      assertRunning(
        state,
        nodes.map((n) => n.name),
      ),
    `See the logs under ${state.options.stateDir}/nodes/.`,
    extra,
  );
}

/**
 * Waits until MM2's internal topics exist (checkpoints and heartbeats on dr, offset syncs on primary) and a probe
 * record crosses from primary to dr (up to 180 s in all).
 * @throws WaitTimeoutError naming what was missing, or MM2's exit with its log's tail.
 */
export async function waitForMirrorMaker(state: SandboxState, progress: (line: string) => void): Promise<void> {
  const t = topology(state.options);
  await waitForReplication(
    {
      primary: bootstrapServers(t, PRIMARY),
      dr: bootstrapServers(t, DR),
      primaryBrokers: clusterBrokers(t, PRIMARY).length,
      extra: await sandboxAdminSecurity(state),
    },
    () => assertRunning(state, ['mm2']),
    progress,
    `See ${state.options.stateDir}/mm2.log.`,
    state.options.replicationPolicy,
  );
}

/**
 * Waits until MM2's internal topics exist and a probe record crosses primary → dr, for any provider.
 * @param replicationPolicy where the probe's copy lands on dr: `primary.sandbox-probe` (default) or `sandbox-probe` (identity).
 * @param check called before each attempt; throw `giveUp(error)` to stop at once.
 */
export async function waitForReplication(
  c: { primary: string[]; dr: string[]; primaryBrokers: number; extra?: ClientSettings['extra'] },
  check: () => void,
  progress: (line: string) => void,
  hint: string,
  replicationPolicy: 'default' | 'identity' = 'default',
): Promise<void> {
  const extra = c.extra ? { extra: c.extra } : {};
  const primary = createKafka({ bootstrapServers: c.primary, clientId: 'kafka-failover-sandbox', ...extra });
  const dr = createKafka({ bootstrapServers: c.dr, clientId: 'kafka-failover-sandbox', ...extra });
  const [pAdmin, dAdmin] = [primary.admin(), dr.admin()];
  const producer = primary.producer({ allowAutoTopicCreation: false });
  const drCluster = protocolCluster(dr);
  try {
    await Promise.all([pAdmin.connect(), dAdmin.connect()]);
    await waitFor(
      'MirrorMaker 2 internal topics (primary.checkpoints.internal and heartbeats on dr, mm2-offset-syncs.dr.internal on primary)',
      async () => {
        check();
        const [onDr, onPrimary] = await Promise.all([dAdmin.listTopics(), pAdmin.listTopics()]);
        const missing = [
          ...['primary.checkpoints.internal', 'heartbeats'].filter((x) => !onDr.includes(x)).map((x) => `${x} on dr`),
          ...['mm2-offset-syncs.dr.internal'].filter((x) => !onPrimary.includes(x)).map((x) => `${x} on primary`),
        ];
        if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
      },
      { timeoutMs: 180_000, intervalMs: 1000, hint },
    );
    progress('MirrorMaker 2 internal topics exist; sending a probe record primary → dr');
    const existing = await pAdmin.listTopics();
    if (!existing.includes(PROBE_TOPIC)) {
      await pAdmin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor: c.primaryBrokers }], waitForLeaders: true });
    }
    const marker = `probe-${randomUUID()}`;
    await producer.connect();
    // A loaded machine can answer NOT_LEADER_OR_FOLLOWER for a while after the topic's leaders were reported: send
    // again until acknowledged (the same marker: a duplicate probe is harmless).
    await waitFor(
      `the probe record to be acknowledged by primary (${PROBE_TOPIC})`,
      async () => {
        check();
        await producer.send({ topic: PROBE_TOPIC, acks: -1, messages: [{ key: 'probe', value: marker }] });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 1000, hint },
    );
    const remote = replicationPolicy === 'identity' ? PROBE_TOPIC : `${PRIMARY}.${PROBE_TOPIC}`;
    await drCluster.connect();
    await waitFor(
      `the probe record to appear in ${remote} on dr`,
      async () => {
        check();
        const offsets = await dAdmin.fetchTopicOffsets(remote);
        const end = Number(offsets[0]?.high ?? 0);
        let seen = false;
        await drCluster.refreshMetadata();
        await readPartition(drCluster, remote, 0, { fromOffset: 0, toOffset: end }, (r) => {
          if (r.value?.toString() === marker) seen = true;
        });
        if (!seen) throw new Error(`${remote} has ${end} record(s), none is the probe yet`);
      },
      { timeoutMs: 180_000, intervalMs: 1000, hint },
    );
    progress(`Probe record crossed primary → dr (${remote})`);
  } finally {
    await Promise.allSettled([pAdmin.disconnect(), dAdmin.disconnect(), producer.disconnect(), drCluster.disconnect()]);
  }
}
