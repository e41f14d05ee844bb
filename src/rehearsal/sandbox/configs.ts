/**
 * Renders the sandbox's Java configuration files: broker `server.properties`, dedicated MirrorMaker 2
 * `mm2.properties`, the Kafka Connect worker and its three Mirror connectors, and the logging config. Pure.
 *
 * Sources: ../shared/reference/kafka-on-the-jvm.md (broker keys for a small loopback cluster, MM2 fast-loop
 * settings, "worker settings reach the worker only with the target alias prefix").
 */
import {
  DR,
  PRIMARY,
  bootstrapServers,
  clusterBrokers,
  clusterNodes,
  isBroker,
  isController,
  type NodeSpec,
  type SandboxOptions,
  type Topology,
} from './topology.js';
import { kafkaLine } from './versions.js';
import { MM2_DEFAULT_TOPICS_EXCLUDE } from '../../clusters/schema.js';
import { PROBE_TOPIC } from './readiness.js';
import { brokerSecurityProperties, clientSecurityProperties, prefixed, type SandboxPasswords, type SandboxSecurity, type SecurityFiles } from './security.js';

/** A secured profile's material (security.ts), for rendering configs; absent: plaintext. */
export interface SecurityContext {
  security: Exclude<SandboxSecurity, 'plaintext'>;
  files: SecurityFiles;
  passwords: SandboxPasswords;
}

/** An ordered `key=value` map. */
export type Properties = Record<string, string>;

/** Renders properties in insertion order, one `key=value` a line. */
export function renderProperties(p: Properties, header?: string): string {
  const lines = header ? [`# ${header}`] : [];
  for (const [k, v] of Object.entries(p)) lines.push(`${k}=${v}`);
  return lines.join('\n') + '\n';
}

/**
 * A broker's advertised listeners. Behind a WAN link (the node has a `proxyPort`) clients are told the Toxiproxy
 * port, so the connections they open after bootstrap go through the proxy too, and dr's brokers talk to each other
 * on a direct REPLICATION listener (inter-broker traffic is not on the simulated WAN). Without one, the broker's own
 * port on the PLAINTEXT listener, which is also the inter-broker listener. The CONTROLLER listener is never advertised.
 */
export function advertised(node: NodeSpec & { port: number }): Properties {
  if (node.proxyPort === undefined || node.replicationPort === undefined) {
    return { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`, 'inter.broker.listener.name': 'PLAINTEXT' };
  }
  return {
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.proxyPort},REPLICATION://127.0.0.1:${node.replicationPort}`,
    'inter.broker.listener.name': 'REPLICATION',
  };
}

/**
 * Settings of one node (combined, broker-only or controller-only). `logDir` is the node's data folder.
 * Replication factors follow the cluster's size: with 3 nodes internal topics get RF 3 and new topics default to
 * RF 3 / `min.insync.replicas` 2, so losing one broker is survivable and losing two is not — as in production.
 */
export function brokerProperties(node: NodeSpec, t: Topology, o: Pick<SandboxOptions, 'kafkaVersion'>, logDir: string, sec?: SecurityContext): Properties {
  const brokers = clusterBrokers(t, node.cluster).length;
  const voters = clusterNodes(t, node.cluster).filter(isController);
  const minIsr = brokers >= 3 ? 2 : 1;
  // A secured profile's client listener is CLIENT (its protocol in listener.security.protocol.map); no WAN link then.
  const client = sec ? 'CLIENT' : 'PLAINTEXT';
  const listeners = [
    ...(isBroker(node) ? [`${client}://127.0.0.1:${node.port}`] : []),
    ...(node.replicationPort !== undefined ? [`REPLICATION://127.0.0.1:${node.replicationPort}`] : []),
    ...(isController(node) ? [`CONTROLLER://127.0.0.1:${node.controllerPort}`] : []),
  ];
  const p: Properties = {
    'process.roles': node.roles === 'combined' ? 'broker,controller' : node.roles,
    'node.id': String(node.nodeId),
    'controller.quorum.voters': voters.map((x) => `${x.nodeId}@127.0.0.1:${x.controllerPort}`).join(','),
    listeners: listeners.join(','),
    ...(isBroker(node) ? (sec ? { 'advertised.listeners': `CLIENT://127.0.0.1:${node.port}`, 'inter.broker.listener.name': 'CLIENT' } : advertised(node)) : {}),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map':
      node.replicationPort !== undefined ? 'PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT' : 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': '1',
    'default.replication.factor': String(brokers),
    'min.insync.replicas': String(minIsr),
    'offsets.topic.replication.factor': String(brokers),
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': String(brokers),
    'transaction.state.log.min.isr': String(minIsr),
    'transaction.state.log.num.partitions': '4',
    'group.initial.rebalance.delay.ms': '0',
    // Topics appear only when created on purpose: a typo must not create a topic on the wrong cluster.
    'auto.create.topics.enable': 'false',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'background.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'log.cleaner.threads': '1',
    // The default 128 MiB dedupe buffer is allocated on the heap at start: half of a 256 MiB heap.
    'log.cleaner.dedupe.buffer.size': '16777216',
    'unclean.leader.election.enable': 'false',
    ...(sec ? brokerSecurityProperties(sec.security, sec.files, sec.passwords) : {}),
  };
  if (kafkaLine(o.kafkaVersion).shareCoordinator) {
    p['share.coordinator.state.topic.replication.factor'] = String(brokers);
    p['share.coordinator.state.topic.min.isr'] = String(minIsr);
  }
  return p;
}

/** Settings shared by dedicated MM2 and the Connect-mode connectors (fast loops for tests and demos). */
function mirrorSettings(o: SandboxOptions, t: Topology): Properties {
  return {
    // As many replicas as dr has brokers (1 or 3): a 3-broker sandbox must pass `kafka-failover check` clean.
    'replication.factor': String(clusterBrokers(t, DR).length),
    'checkpoints.topic.replication.factor': String(clusterBrokers(t, DR).length),
    'heartbeats.topic.replication.factor': String(clusterBrokers(t, DR).length),
    'offset-syncs.topic.replication.factor': String(clusterBrokers(t, PRIMARY).length),
    'emit.checkpoints.interval.seconds': '1',
    'emit.heartbeats.interval.seconds': '1',
    'refresh.topics.interval.seconds': '5',
    'refresh.groups.interval.seconds': '5',
    'sync.group.offsets.enabled': String(o.syncGroupOffsets),
    'sync.group.offsets.interval.seconds': '1',
    'offset.lag.max': String(o.offsetLagMax),
    'sync.topic.acls.enabled': 'false',
    ...(o.replicationPolicy === 'identity' ? { 'replication.policy.class': IDENTITY_POLICY_CLASS } : {}),
  };
}

/** MM2's IdentityReplicationPolicy (connect/mirror-client, Kafka 3.0+): remote topics keep the source name. */
export const IDENTITY_POLICY_CLASS = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';
/**
 * MirrorMaker 2's client security per cluster alias (`primary.security.protocol` …) as user `mm2`: MirrorMakerConfig
 * passes `<alias>.`-prefixed client settings to every client of that cluster (admin, producer, consumer, worker).
 */
function mm2ClusterSecurity(sec?: SecurityContext): Properties {
  if (!sec) return {};
  const c = clientSecurityProperties(sec.security, sec.files, 'mm2', sec.passwords.mm2);
  return { ...prefixed(`${PRIMARY}.`, c), ...prefixed(`${DR}.`, c) };
}

/** Dedicated MirrorMaker 2 (`org.apache.kafka.connect.mirror.MirrorMaker … --clusters dr`), primary → dr only. */
export function mm2Properties(o: SandboxOptions, t: Topology, sec?: SecurityContext): Properties {
  return {
    clusters: `${PRIMARY}, ${DR}`,
    [`${PRIMARY}.bootstrap.servers`]: bootstrapServers(t, PRIMARY).join(','),
    [`${DR}.bootstrap.servers`]: bootstrapServers(t, DR).join(','),
    ...mm2ClusterSecurity(sec),
    [`${PRIMARY}->${DR}.enabled`]: 'true',
    [`${PRIMARY}->${DR}.topics`]: '.*',
    [`${PRIMARY}->${DR}.groups`]: '.*',
    [`${DR}->${PRIMARY}.enabled`]: 'false',
    [`${DR}->${PRIMARY}.emit.heartbeats.enabled`]: 'false',
    ...mirrorSettings(o, t),
    'offset.storage.replication.factor': String(clusterBrokers(t, DR).length),
    'status.storage.replication.factor': String(clusterBrokers(t, DR).length),
    'config.storage.replication.factor': String(clusterBrokers(t, DR).length),
    // Worker settings reach the dr-side worker only with the target alias prefix.
    [`${DR}.offset.flush.interval.ms`]: '1000',
    [`${DR}.scheduled.rebalance.max.delay.ms`]: '0',
  };
}

/**
 * Dedicated MirrorMaker 2 for the reverse flow dr → primary (`… MirrorMaker mm2-reverse.properties --clusters
 * primary`), started only for a failback (`sandbox start mm2-reverse`). It replicates dr's own topics to primary as
 * `dr.<topic>` and checkpoints groups into `dr.checkpoints.internal` on primary; remote topics that came from
 * primary (`primary.orders`) are not sent back (MM2's cycle detection, MirrorSourceConnector.isCycle).
 */
export function mm2ReverseProperties(o: SandboxOptions, t: Topology, sec?: SecurityContext): Properties {
  const rf = String(clusterBrokers(t, PRIMARY).length);
  return {
    clusters: `${PRIMARY}, ${DR}`,
    [`${PRIMARY}.bootstrap.servers`]: bootstrapServers(t, PRIMARY).join(','),
    [`${DR}.bootstrap.servers`]: bootstrapServers(t, DR).join(','),
    ...mm2ClusterSecurity(sec),
    [`${DR}->${PRIMARY}.enabled`]: 'true',
    [`${DR}->${PRIMARY}.topics`]: '.*',
    [`${DR}->${PRIMARY}.groups`]: '.*',
    // Identity: dr's copy of the readiness probe has primary's name and would be copied back whole; never send it.
    ...(o.replicationPolicy === 'identity' ? { [`${DR}->${PRIMARY}.topics.exclude`]: `${MM2_DEFAULT_TOPICS_EXCLUDE.join(',')},${PROBE_TOPIC}` } : {}),
    [`${PRIMARY}->${DR}.enabled`]: 'false',
    [`${PRIMARY}->${DR}.emit.heartbeats.enabled`]: 'false',
    ...mirrorSettings(o, t),
    'replication.factor': rf,
    'checkpoints.topic.replication.factor': rf,
    'heartbeats.topic.replication.factor': rf,
    'offset-syncs.topic.replication.factor': String(clusterBrokers(t, DR).length),
    'offset.storage.replication.factor': rf,
    'status.storage.replication.factor': rf,
    'config.storage.replication.factor': rf,
    [`${PRIMARY}.offset.flush.interval.ms`]: '1000',
    [`${PRIMARY}.scheduled.rebalance.max.delay.ms`]: '0',
  };
}

/** Kafka Connect distributed worker on dr (connect mode). */
export function connectWorkerProperties(t: Topology, sec?: SecurityContext): Properties {
  const c = sec ? clientSecurityProperties(sec.security, sec.files, 'mm2', sec.passwords.mm2) : {};
  return {
    // The worker's own clients, and those it makes for connectors (producer., consumer., admin.), as user mm2.
    ...c,
    ...prefixed('producer.', c),
    ...prefixed('consumer.', c),
    ...prefixed('admin.', c),
    'bootstrap.servers': bootstrapServers(t, DR).join(','),
    'group.id': 'kafka-failover-sandbox-connect',
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'config.storage.topic': 'connect-configs',
    'offset.storage.topic': 'connect-offsets',
    'status.storage.topic': 'connect-status',
    'config.storage.replication.factor': String(clusterBrokers(t, DR).length),
    'offset.storage.replication.factor': String(clusterBrokers(t, DR).length),
    'status.storage.replication.factor': String(clusterBrokers(t, DR).length),
    'offset.flush.interval.ms': '1000',
    'scheduled.rebalance.max.delay.ms': '0',
    listeners: `http://127.0.0.1:${t.connectPort}`,
  };
}

/** The three Mirror connector kinds, as Connect class names. */
export const MIRROR_CONNECTORS = ['MirrorSourceConnector', 'MirrorCheckpointConnector', 'MirrorHeartbeatConnector'] as const;

/** Connector name in the Strimzi style `<source>-><target>.<Class>` (URL-encode the `>` in REST paths). */
export function connectorName(kind: (typeof MIRROR_CONNECTORS)[number], source = PRIMARY, target = DR): string {
  return `${source}->${target}.${kind}`;
}

/** Config of one Mirror connector for the Connect REST API (`PUT /connectors/{name}/config`). */
export function connectorConfig(kind: (typeof MIRROR_CONNECTORS)[number], o: SandboxOptions, t: Topology, sec?: SecurityContext): Properties {
  const c = sec ? clientSecurityProperties(sec.security, sec.files, 'mm2', sec.passwords.mm2) : {};
  return {
    ...prefixed('source.cluster.', c),
    ...prefixed('target.cluster.', c),
    'connector.class': `org.apache.kafka.connect.mirror.${kind}`,
    'tasks.max': '1',
    'source.cluster.alias': PRIMARY,
    'target.cluster.alias': DR,
    'source.cluster.bootstrap.servers': bootstrapServers(t, PRIMARY).join(','),
    'target.cluster.bootstrap.servers': bootstrapServers(t, DR).join(','),
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    topics: '.*',
    groups: '.*',
    ...mirrorSettings(o, t),
  };
}

/** Logging config: Kafka at WARN, KafkaRaftServer at INFO ("Kafka Server started"), to stdout (the log file). */
export function loggingConfig(kafkaVersion: string): { fileName: string; text: string; jvmFlag: (absPath: string) => string } {
  if (kafkaLine(kafkaVersion).logging === 'log4j2') {
    return {
      fileName: 'log4j2.properties',
      jvmFlag: (p) => `-Dlog4j2.configurationFile=${p}`,
      text: [
        'status = error',
        'appender.out.type = Console',
        'appender.out.name = OUT',
        'appender.out.layout.type = PatternLayout',
        'appender.out.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = WARN',
        'rootLogger.appenderRef.out.ref = OUT',
        'logger.raft.name = kafka.server.KafkaRaftServer',
        'logger.raft.level = INFO',
        'logger.mm.name = org.apache.kafka.connect.mirror.MirrorMaker',
        'logger.mm.level = INFO',
        '',
      ].join('\n'),
    };
  }
  return {
    fileName: 'log4j.properties',
    jvmFlag: (p) => `-Dlog4j.configuration=file:${p}`,
    text: [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      'log4j.logger.org.apache.kafka.connect.mirror.MirrorMaker=INFO',
      '',
    ].join('\n'),
  };
}

/** JVM flags for a broker (256 MiB heap) and for MM2 / Connect (384 MiB). */
export function jvmOptions(role: 'broker' | 'mm2'): string[] {
  return [
    '-Xms128m',
    role === 'broker' ? '-Xmx256m' : '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
  ];
}
