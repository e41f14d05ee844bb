/**
 * Loading and validating a clusters file, and resolving a cluster's client settings (bootstrap, TLS, SASL) with
 * secrets read from environment variables or files at the last moment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, ValidationError, type ValidationProblem } from '../errors.js';
import type { ClientSettings } from '../kafka/kafkajs-client.js';
import { loadYamlFile } from '../util/yaml-load.js';
import { ClientPropertiesError, envReferences, readClientProperties, type SecuritySettings } from './client-properties.js';
import type { SASLOptions } from 'kafkajs';
import { oauthBearerSasl } from '../kafka/oauthbearer.js';
import { oauthBearerProvider, resolveTokenSource } from './oauth-token.js';
import { clustersFileSchema, flowSchema, type ClusterConfig, type ClustersFile, type ConnectAuth, type FlowConfig } from './schema.js';

/** A loaded clusters file with the folder its relative paths are taken from. */
export interface LoadedClusters {
  file: string;
  config: ClustersFile;
  /** 1-based line and column of each `clusters.<alias>.role: observer` in the file, for errors that point at it. */
  observers?: Record<string, { line: number; column: number }>;
}

/**
 * Reads and validates a clusters file: schema, flows naming known and distinct clusters, readable client
 * properties files. Every problem is reported at once with file:line:column.
 * @throws InvalidInputError (unreadable) or ValidationError (every problem found).
 */
export async function loadClustersFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedClusters> {
  const { value, located: doc } = await loadYamlFile(file, clustersFileSchema, (cfg, located) => {
    const problems: ValidationProblem[] = [];
    const aliases = Object.keys(cfg.clusters);
    cfg.flows.forEach((f, i) => {
      for (const side of ['source', 'target'] as const) {
        if (!aliases.includes(f[side])) {
          problems.push({
            file,
            ...located.locate(['flows', i, side]),
            field: `flows[${i}].${side}`,
            message: `unknown cluster "${f[side]}"`,
            hint: `Use one of the clusters defined above: ${aliases.join(', ')}.`,
          });
        }
      }
      if (f.source === f.target && f.kind !== 'stretch')
        problems.push({
          file,
          ...located.locate(['flows', i, 'target']),
          field: `flows[${i}].target`,
          message: 'source and target are the same cluster',
          hint: 'A flow replicates from one cluster to another; for a stretch cluster (one cluster over sites) write kind: stretch.',
        });
    });
    for (const [alias, c] of Object.entries(cfg.clusters)) {
      if (c.clientProperties) {
        try {
          readClientProperties(path.resolve(path.dirname(file), c.clientProperties), env);
        } catch (error) {
          if (!(error instanceof ClientPropertiesError)) throw error;
          problems.push({
            file,
            ...located.locate(['clusters', alias, 'clientProperties']),
            field: `clusters.${alias}.clientProperties`,
            message: `${error.message} (key ${error.key})`,
            hint: error.hint,
          });
        }
      }
    }
    return problems;
  });
  // Connect REST auth is read by steps, which know the flow but not the clusters file: anchor its file path now.
  for (const f of value.flows) {
    if (f.mm2 && 'connect' in f.mm2 && f.mm2.connect.auth?.passwordFile)
      f.mm2.connect.auth.passwordFile = path.resolve(path.dirname(file), f.mm2.connect.auth.passwordFile);
  }
  const observers = Object.fromEntries(
    Object.entries(value.clusters)
      .filter(([, c]) => c.role === 'observer')
      .map(([alias]) => [alias, doc.locate(['clusters', alias, 'role'])]),
  );
  return { file, config: value, observers };
}

/** Whether a cluster is declared read-only (`clusters.<alias>.role: observer`). */
export function isObserver(loaded: LoadedClusters, alias: string): boolean {
  return loaded.config.clusters[alias]?.role === 'observer';
}

/**
 * The problem of a command that would make an observer the target of a move, pointing at its `role` in the clusters
 * file; undefined when `target` is not an observer.
 * @param what what was asked, e.g. `runbook runbooks/planned-failover.yaml (flow primary->dr)`.
 */
export function observerTargetProblem(loaded: LoadedClusters, target: string, what: string): ValidationProblem | undefined {
  if (!isObserver(loaded, target)) return undefined;
  return {
    file: loaded.file,
    ...(loaded.observers?.[target] ?? {}),
    field: `clusters.${target}.role`,
    message: `${target} is an observer (read-only) cluster: ${what} would move consumer groups and producers onto it, and an observer is never the target of a move`,
    hint: `Move the workload to a cluster that takes writes, or, if ${target} is meant to take them, remove role: observer from clusters.${target} in ${loaded.file}.`,
  };
}

/**
 * Refuses a move whose target is an observer, before anything is read or written.
 * @throws ValidationError (exit 2) naming the cluster and its `clusters.<alias>.role` field (file:line:column).
 */
export function assertNotObserverTarget(loaded: LoadedClusters, target: string, what: string): void {
  const p = observerTargetProblem(loaded, target, what);
  if (p) throw new ValidationError([p]);
}

/**
 * The pair of a workload move between two clusters that have no replication flow between them (an aggregate
 * cluster's groups moving to a second aggregate; docs/design/topologies.md, "Moves without a flow"): a
 * {@link FlowConfig} of kind `move` with the schema's defaults and no MM2 control. Pure.
 */
export function movePair(source: string, target: string): FlowConfig {
  return { ...flowSchema.parse({ source, target }), kind: 'move' };
}

/**
 * The flow from `source` to `target`, or the only flow when neither is given. With `allowMovePair` (a runbook with
 * `requireFlow: false`, `offsets move`), two distinct clusters of the file with no flow between them give their
 * {@link movePair}.
 * @throws InvalidInputError when no flow (or more than one) matches; the message lists the flows.
 */
export function findFlow(loaded: LoadedClusters, want: { source?: string; target?: string } = {}, opts: { allowMovePair?: boolean } = {}): FlowConfig {
  const flows = loaded.config.flows.filter((f) => (!want.source || f.source === want.source) && (!want.target || f.target === want.target));
  const list = loaded.config.flows.map((f) => `${f.source}->${f.target}`).join(', ') || 'none';
  if (flows.length === 1) return flows[0]!;
  const { source, target } = want;
  if (flows.length === 0 && opts.allowMovePair && source && target && source !== target && loaded.config.clusters[source] && loaded.config.clusters[target])
    return movePair(source, target);
  throw new InvalidInputError(
    flows.length === 0
      ? `No replication flow${want.source ? ` from ${want.source}` : ''}${want.target ? ` to ${want.target}` : ''} in ${loaded.file} (flows: ${list}).`
      : `More than one flow matches in ${loaded.file} (flows: ${list}).`,
    { hint: 'Name the flow with --flow <source>-><target>, or add it under "flows:".' },
  );
}

/** The cluster of an alias. @throws InvalidInputError listing the known aliases. */
export function findCluster(loaded: LoadedClusters, alias: string): ClusterConfig {
  const c = loaded.config.clusters[alias];
  if (!c)
    throw new InvalidInputError(`Unknown cluster "${alias}" in ${loaded.file}.`, {
      hint: `Known clusters: ${Object.keys(loaded.config.clusters).join(', ')}.`,
    });
  return c;
}

/**
 * A secret from an environment variable or a file. The error for an unset variable names the field, not the
 * variable: a password pasted into `passwordEnv` by mistake is a valid-looking name and must not be printed.
 */
function secretFrom(what: string, envName: string | undefined, file: string | undefined, baseDir: string, env: NodeJS.ProcessEnv): string {
  if (envName) {
    const v = env[envName];
    if (v === undefined) {
      throw new InvalidInputError(
        `${what}: the environment variable that ${what}.passwordEnv names is not set (its name is not repeated here, in case a secret was pasted there).`,
        {
          hint: `Export the variable named in ${what}.passwordEnv before running; it holds the password, the clusters file holds only its name.`,
        },
      );
    }
    return v;
  }
  try {
    return readFileSync(path.resolve(baseDir, file!), 'utf8').trim();
  } catch {
    throw new InvalidInputError(`${what}: cannot read ${file}.`, { hint: 'Give a readable file holding only the secret.' });
  }
}

/**
 * kafkajs settings for a cluster: bootstrap servers plus TLS/SASL from `clientProperties` and the `tls`/`sasl`
 * fields (the fields win). Secrets are read now, from environment variables or files.
 * @throws InvalidInputError when a secret or a file cannot be had.
 */
export function clientSettings(loaded: LoadedClusters, alias: string, env: NodeJS.ProcessEnv = process.env): ClientSettings {
  const c = findCluster(loaded, alias);
  const baseDir = path.dirname(loaded.file);
  let security: SecuritySettings = {};
  if (c.clientProperties) {
    try {
      security = readClientProperties(path.resolve(baseDir, c.clientProperties), env);
    } catch (error) {
      if (error instanceof ClientPropertiesError)
        throw new ValidationError([{ file: loaded.file, field: `clusters.${alias}.clientProperties`, message: error.message, hint: error.hint }]);
      throw error;
    }
  }
  if (c.tls === true) security.ssl = true;
  else if (c.tls && typeof c.tls === 'object') {
    const read = (field: string, f: string | undefined) => {
      if (!f) return undefined;
      try {
        return readFileSync(path.resolve(baseDir, f), 'utf8');
      } catch {
        throw new InvalidInputError(`clusters.${alias}.tls.${field}: cannot read ${f} (in ${loaded.file}).`, {
          hint: `Give a readable PEM file; a relative path is taken from the clusters file's folder (${baseDir}).`,
        });
      }
    };
    security.ssl = {
      ...(c.tls.caFile ? { ca: read('caFile', c.tls.caFile) } : {}),
      ...(c.tls.certFile ? { cert: read('certFile', c.tls.certFile) } : {}),
      ...(c.tls.keyFile ? { key: read('keyFile', c.tls.keyFile) } : {}),
      ...(c.tls.keyPasswordEnv ? { passphrase: secretFrom(`clusters.${alias}.tls.key`, c.tls.keyPasswordEnv, undefined, baseDir, env) } : {}),
      ...(c.tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
    };
  }
  if (c.sasl?.mechanism === 'oauthbearer') {
    security.sasl = oauthBearerSasl(oauthBearerProvider(`clusters.${alias}.sasl`, resolveTokenSource(c.sasl, baseDir), env)) as unknown as SASLOptions;
  } else if (c.sasl) {
    security.sasl = {
      mechanism: c.sasl.mechanism as 'plain',
      username: c.sasl.username,
      password: secretFrom(`clusters.${alias}.sasl`, c.sasl.passwordEnv, c.sasl.passwordFile, baseDir, env),
    };
  }
  return { bootstrapServers: c.bootstrapServers, clientId: 'kafka-failover', extra: security };
}

/**
 * Every secret value the clusters file points at (SASL passwords and TLS key passphrases, from environment variables
 * or files, and `${env:…}` references in client properties), for redaction from hook output. Values that cannot be
 * read are skipped (their use fails later with its own error).
 */
export function secretValues(loaded: LoadedClusters, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const baseDir = path.dirname(loaded.file);
  for (const [alias, c] of Object.entries(loaded.config.clusters)) {
    try {
      if (c.sasl?.mechanism === 'oauthbearer') {
        if (c.sasl.tokenEnv && env[c.sasl.tokenEnv]) out.push(env[c.sasl.tokenEnv]!.trim());
      } else if (c.sasl) out.push(secretFrom(`clusters.${alias}.sasl`, c.sasl.passwordEnv, c.sasl.passwordFile, baseDir, env));
      if (c.tls && typeof c.tls === 'object' && c.tls.keyPasswordEnv && env[c.tls.keyPasswordEnv]) out.push(env[c.tls.keyPasswordEnv]!);
      if (c.clientProperties) {
        const props = readClientProperties(path.resolve(baseDir, c.clientProperties), env);
        if (props.sasl && 'password' in props.sasl && props.sasl.password) out.push(props.sasl.password);
        if (props.ssl && typeof props.ssl === 'object' && typeof props.ssl.passphrase === 'string') out.push(props.ssl.passphrase);
      }
    } catch {
      /* unreadable: reported where it is used */
    }
  }
  for (const f of loaded.config.flows) {
    const auth = f.mm2 && 'connect' in f.mm2 ? f.mm2.connect.auth : undefined;
    try {
      if (auth) out.push(secretFrom('connect auth', auth.passwordEnv, auth.passwordFile, baseDir, env));
    } catch {
      /* unreadable: reported where it is used */
    }
  }
  return out.filter((s) => s.length >= 4);
}

/**
 * Names of every environment variable the clusters file reads a secret from: `sasl.passwordEnv`,
 * `tls.keyPasswordEnv`, `${env:NAME}` in client properties files, Connect REST `auth.passwordEnv`. Hooks never get
 * these variables (src/adapters/exec.ts). Unreadable properties files contribute nothing (they fail where used).
 */
export function secretEnvNames(loaded: LoadedClusters): string[] {
  const out = new Set<string>();
  const baseDir = path.dirname(loaded.file);
  for (const c of Object.values(loaded.config.clusters)) {
    if (c.sasl && 'passwordEnv' in c.sasl && c.sasl.passwordEnv) out.add(c.sasl.passwordEnv);
    if (c.sasl && 'tokenEnv' in c.sasl && c.sasl.tokenEnv) out.add(c.sasl.tokenEnv);
    if (c.tls && typeof c.tls === 'object' && c.tls.keyPasswordEnv) out.add(c.tls.keyPasswordEnv);
    if (c.clientProperties) for (const n of envReferences(path.resolve(baseDir, c.clientProperties))) out.add(n);
  }
  for (const f of loaded.config.flows) {
    const auth = f.mm2 && 'connect' in f.mm2 ? f.mm2.connect.auth : undefined;
    if (auth?.passwordEnv) out.add(auth.passwordEnv);
  }
  return [...out];
}

/**
 * The `Authorization` header for a flow's Connect REST calls (`Basic base64(user:password)`), the password read now
 * from its environment variable or file ({@link loadClustersFile} made `passwordFile` absolute, from the clusters
 * file's folder).
 * @throws InvalidInputError naming the field (never the value) when the password cannot be had.
 */
export function connectAuthHeaders(auth: ConnectAuth | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!auth) return {};
  const password = secretFrom('flows[].mm2.connect.auth', auth.passwordEnv, auth.passwordFile, process.cwd(), env);
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}` };
}

/** A URL for records and messages: user info removed (`https://***@host/…`), query string dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const had = u.username !== '' || u.password !== '';
    u.username = '';
    u.password = '';
    u.search = '';
    return had ? u.toString().replace('://', '://***@') : u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
