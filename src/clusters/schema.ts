/**
 * The clusters file: clusters by alias, and the MirrorMaker 2 replication flows between them.
 *
 * ```yaml
 * clusters:
 *   primary:
 *     bootstrapServers: ["kafka-a-1:9092", "kafka-a-2:9092"]
 *     clusterId: AYM9rx9GRiHp9ZfP9h368g          # optional pin: every write checks it first
 *     clientProperties: ./primary-client.properties  # optional: TLS/SASL from a standard Kafka client file
 *     sasl: { mechanism: scram-sha-512, username: failover, passwordEnv: PRIMARY_KAFKA_PASSWORD }  # or this
 *     # or sasl: { mechanism: oauthbearer, tokenCommand: [get-token, --audience, kafka] }  (or tokenFile / tokenEnv)
 *   dr: { bootstrapServers: ["kafka-b-1:9092"] }
 *   analytics: { bootstrapServers: ["kafka-c-1:9092"], role: observer }   # read-only: MM2 copies only, never a move's target
 * flows:
 *   - source: primary
 *     target: dr
 *     replicationPolicy: default       # or identity
 *     separator: "."
 *     offsetSyncsTopicLocation: source # or target
 *     mm2:
 *       connect:
 *         url: https://connect:8083      # no user:password@ here: credentials go in auth
 *         auth: { type: basic, username: failover, passwordEnv: CONNECT_PASSWORD }   # optional; or passwordFile
 *         connectors: { source: …, checkpoint: …, heartbeat: … }
 *       # or hooks: { stop: [argv…], start: [argv…] }
 * ```
 * Secrets are never literals: passwords come from an environment variable or a file.
 */
import { z } from 'zod';
import { regexString } from '../util/regex.js';

/** MM2's default `groups.exclude` (MirrorCheckpointConfig / DefaultGroupFilter). */
export const MM2_DEFAULT_GROUPS_EXCLUDE = ['console-consumer-.*', 'connect-.*', '__.*'];
/** MM2's default `topics.exclude` (DefaultTopicFilter). */
export const MM2_DEFAULT_TOPICS_EXCLUDE = ['.*[\\-\\.]internal', '.*\\.replica', '__.*'];

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port, e.g. kafka-1:9092');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** HTTP basic authentication for Kafka Connect REST; the password comes from an environment variable or a file. */
const connectAuth = z
  .strictObject({
    type: z.literal('basic'),
    username: z.string().min(1),
    passwordEnv: envName.optional(),
    passwordFile: z.string().min(1).optional(),
  })
  .refine((s) => (s.passwordEnv === undefined) !== (s.passwordFile === undefined), {
    message: 'give exactly one of passwordEnv and passwordFile',
  });

/** A Connect REST base URL without credentials in it (the message never repeats the URL). */
const connectUrl = z.url().refine(
  (u) => {
    try {
      const parsed = new URL(u);
      return parsed.username === '' && parsed.password === '';
    } catch {
      return false;
    }
  },
  {
    message:
      'the URL carries credentials (user:password@): they would be written to the audit log; give them as auth: { type: basic, username, passwordEnv | passwordFile }',
  },
);

const saslPassword = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    passwordEnv: envName.optional(),
    passwordFile: z.string().min(1).optional(),
  })
  .refine((s) => (s.passwordEnv === undefined) !== (s.passwordFile === undefined), {
    message: 'give exactly one of passwordEnv and passwordFile',
  });

/**
 * SASL/OAUTHBEARER (KIP-255): the bearer token comes from a command (argument array, no shell; its standard output,
 * trimmed, is the token — an OIDC client-credentials helper, a cloud IAM signer such as MSK's), a file (re-read at
 * every authentication: a sidecar may rotate it) or an environment variable. Never a literal.
 */
const saslOauth = z
  .strictObject({
    mechanism: z.literal('oauthbearer'),
    tokenCommand: z.array(z.string().min(1)).min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    tokenEnv: envName.optional(),
  })
  .refine((s) => [s.tokenCommand, s.tokenFile, s.tokenEnv].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of tokenCommand, tokenFile and tokenEnv',
  });

const sasl = z.union([saslPassword, saslOauth]);

const tls = z.strictObject({
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  keyPasswordEnv: envName.optional(),
  /** Verify the broker's host name against its certificate (default true). */
  verifyHostname: z.boolean().default(true),
});

/** One cluster. */
export const clusterSchema = z.strictObject({
  bootstrapServers: z.array(hostPort).min(1),
  clusterId: z.string().min(1).optional(),
  clientProperties: z.string().min(1).optional(),
  tls: z.union([z.boolean(), tls]).optional(),
  sasl: sasl.optional(),
  /**
   * `observer`: a read-only cluster — MM2 writes copies into it, nothing else produces to it, and no runbook or
   * `offsets move` may target it (docs/design/topologies.md, "Observer clusters"). Absent (or `read-write`): a
   * cluster that takes writes.
   */
  role: z.enum(['read-write', 'observer']).optional(),
});

const argv = z.array(z.string().min(1)).min(1);

/** How MM2 for a flow is controlled: Connect REST, or hook commands (argument arrays, no shell). */
export const mm2ControlSchema = z.union([
  z.strictObject({
    connect: z.strictObject({
      url: connectUrl,
      auth: connectAuth.optional(),
      connectors: z.strictObject({ source: z.string().min(1), checkpoint: z.string().min(1), heartbeat: z.string().min(1).optional() }),
    }),
  }),
  z.strictObject({ hooks: z.strictObject({ stop: argv, start: argv.optional() }) }),
]);

/** One replication flow source → target. */
export const flowSchema = z.strictObject({
  source: z.string().min(1),
  target: z.string().min(1),
  /**
   * `mirror` (absent: the same): MM2 replicates source → target. `stretch`: one cluster over several sites, no MM2 —
   * source and target name the same cluster, for the stretch runbooks (docs/design/stretch-clusters.md).
   */
  kind: z.enum(['mirror', 'stretch']).optional(),
  replicationPolicy: z.enum(['default', 'identity']).default('default'),
  separator: z.string().min(1).default('.'),
  offsetSyncsTopicLocation: z.enum(['source', 'target']).default('source'),
  /** MM2 `groups.exclude` of this flow (default MM2's), to explain why a group has no checkpoints. */
  groupsExclude: z.array(regexString).default(MM2_DEFAULT_GROUPS_EXCLUDE),
  /** MM2 `topics.exclude` of this flow (default MM2's). */
  topicsExclude: z.array(regexString).default(MM2_DEFAULT_TOPICS_EXCLUDE),
  mm2: mm2ControlSchema.optional(),
});

/** The whole file. */
export const clustersFileSchema = z.strictObject({
  clusters: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'cluster aliases use letters, digits, "_" and "-"'), clusterSchema),
  flows: z.array(flowSchema).default([]),
});

export type ClusterConfig = z.infer<typeof clusterSchema>;
/**
 * A flow of the clusters file, or (`kind: 'move'`) the pair of a workload move between two clusters with no flow
 * between them — made by {@link movePair} (src/clusters/load.ts) for a runbook with `requireFlow: false`, never read
 * from a file: no MM2 of its own, no checkpoints or offset syncs; the move's paths come from the file's other flows.
 */
export type FlowConfig = Omit<z.infer<typeof flowSchema>, 'kind'> & { kind?: 'mirror' | 'stretch' | 'move' };
export type ConnectAuth = z.infer<typeof connectAuth>;
export type SaslConfig = z.infer<typeof sasl>;
export type ClustersFile = Omit<z.infer<typeof clustersFileSchema>, 'flows'> & { flows: FlowConfig[] };
