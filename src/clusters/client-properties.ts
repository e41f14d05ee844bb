/**
 * Turning a standard Kafka client `.properties` file (the one `kafka-consumer-groups.sh --command-config` takes)
 * into kafkajs TLS/SASL settings. Supported: `security.protocol`, `sasl.mechanism` (PLAIN, SCRAM-SHA-256/512),
 * `sasl.jaas.config` (username/password), PEM trust and key stores (`ssl.truststore.type=PEM`,
 * `ssl.keystore.type=PEM`), `ssl.key.password`, `ssl.endpoint.identification.algorithm`. Values may reference
 * environment variables as `${env:NAME}` (Kafka's EnvVarConfigProvider syntax), so the file needs no secrets.
 * The `.properties` syntax is parsed by the dot-properties package.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dot-properties';
import type { SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

/** kafkajs security settings. */
export interface SecuritySettings {
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
}

/** A problem with a client properties file: the key and what to do. */
export class ClientPropertiesError extends Error {
  constructor(
    readonly key: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function expandEnv(key: string, value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined)
      throw new ClientPropertiesError(key, `${key} refers to environment variable ${name}, which is not set`, `Export ${name} before running.`);
    return v;
  });
}

function readPem(key: string, file: string, baseDir: string, asWritten: string): string {
  try {
    return readFileSync(path.resolve(baseDir, file), 'utf8');
  } catch {
    throw new ClientPropertiesError(
      key,
      `${key}: cannot read ${asWritten}`,
      "Give the path of a readable PEM file (relative paths are taken from the properties file's folder).",
    );
  }
}

/**
 * Names of the environment variables a client properties file refers to (`${env:NAME}`), from its raw text; empty
 * when the file cannot be read.
 */
export function envReferences(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...new Set([...text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!))];
}

/** Extracts `username="…"` and `password="…"` from a `sasl.jaas.config` value. */
function jaasCredentials(jaas: string): { username: string; password: string } | undefined {
  const user = /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
  const pass = /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
  return user !== undefined && pass !== undefined ? { username: user, password: pass } : undefined;
}

/**
 * Reads a client properties file into kafkajs settings.
 * @throws ClientPropertiesError naming the key and the fix; a message quotes a value as written in the file (with
 *   `${env:…}` unexpanded), never an expanded value.
 */
export function readClientProperties(file: string, env: NodeJS.ProcessEnv = process.env): SecuritySettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ClientPropertiesError(
      '(file)',
      `cannot read client properties file ${file}`,
      'Check the path in clientProperties (relative to the clusters file).',
    );
  }
  const raw = parse(text) as Record<string, string>;
  const baseDir = path.dirname(file);
  const get = (k: string) => (raw[k] === undefined ? undefined : expandEnv(k, raw[k]!, env));
  // Messages quote a key's text as written in the file (`${env:NAME}` unexpanded), never its expanded value.
  const asWritten = (k: string, fallback: string) => JSON.stringify(raw[k] ?? fallback);
  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
    throw new ClientPropertiesError(
      'security.protocol',
      `security.protocol ${asWritten('security.protocol', 'PLAINTEXT')} is not supported`,
      'Use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.',
    );
  }
  const out: SecuritySettings = {};
  if (protocol.endsWith('SSL')) {
    const tls: ConnectionOptions = {};
    for (const store of ['truststore', 'keystore'] as const) {
      const loc = get(`ssl.${store}.location`);
      if (!loc) continue;
      const type = (get(`ssl.${store}.type`) ?? 'JKS').toUpperCase();
      if (type !== 'PEM') {
        throw new ClientPropertiesError(
          `ssl.${store}.type`,
          `ssl.${store}.type ${asWritten(`ssl.${store}.type`, 'JKS')} is not supported (Node.js reads PEM only)`,
          `Convert the ${store} to PEM (keytool -importkeystore … then openssl) and set ssl.${store}.type=PEM.`,
        );
      }
      const pem = readPem(`ssl.${store}.location`, loc, baseDir, asWritten(`ssl.${store}.location`, loc));
      if (store === 'truststore') tls.ca = pem;
      else {
        tls.cert = pem;
        tls.key = pem;
        const pass = get('ssl.key.password');
        if (pass) tls.passphrase = pass;
      }
    }
    if (get('ssl.endpoint.identification.algorithm') === '') tls.checkServerIdentity = () => undefined;
    out.ssl = Object.keys(tls).length ? tls : true;
  }
  if (protocol.startsWith('SASL')) {
    const mechanism = (get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    const jaas = get('sasl.jaas.config');
    const creds = jaas ? jaasCredentials(jaas) : undefined;
    if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) {
      throw new ClientPropertiesError(
        'sasl.mechanism',
        `sasl.mechanism ${asWritten('sasl.mechanism', 'GSSAPI')} is not supported`,
        'Use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.',
      );
    }
    if (!creds) {
      throw new ClientPropertiesError(
        'sasl.jaas.config',
        'sasl.jaas.config has no username="…" and password="…"',
        'Give both, e.g. password="${env:KAFKA_PASSWORD}".',
      );
    }
    out.sasl = { mechanism: mechanism.toLowerCase() as 'plain', username: creds.username, password: creds.password };
  }
  return out;
}
