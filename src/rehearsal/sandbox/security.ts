/**
 * Secured sandbox profiles (`sandbox up --security sasl-ssl | mtls | sasl-plaintext`): a certificate authority and
 * broker and client certificates made on this machine with openssl, random passwords for the sandbox's users, and
 * the broker, MirrorMaker 2 and client settings that use them. Design note: docs/design/secured-sandbox.md.
 *
 * Identities (one Kafka principal each, the same in every profile):
 * - `broker` — the brokers and controllers (inter-broker and controller traffic); a super user. The sandbox's own
 *   readiness checks, probe record and ACL set-up use it too: it is the operator's hand on the brokers.
 * - `mm2` — MirrorMaker 2; a super user.
 * - `failover` — the tool's principal: no super user, only the least-privilege ACLs the sandbox grants it (acls.ts).
 * - `app` — the traffic generator (the sandbox's applications): no super user, ALL on everything (acls.ts).
 *
 * Listeners: `CLIENT` (clients, MM2 and inter-broker: SASL_SSL, SSL with client certificates, or SASL_PLAINTEXT)
 * and `CONTROLLER` (SASL_PLAINTEXT with PLAIN, user `broker` only: KRaft controllers do not take SCRAM, whose
 * credentials live in the metadata log they serve). Principals from certificates are the subject's CN
 * (`ssl.principal.mapping.rules`), so a certificate `CN=failover` and SCRAM user `failover` are the same principal.
 *
 * Everything is cached under `<stateDir>/security/` (files mode 0600) and reused by later `up`s; `down --wipe`
 * deletes it. Sources: Kafka docs "Security" (SASL/SCRAM, SASL/PLAIN, SASL/OAUTHBEARER unsecured tokens, SSL
 * principal mapping, KIP-651 PEM stores), KIP-900 (`kafka-storage format --add-scram`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { KafkaFailoverError } from '../../errors.js';
import type { Properties } from './configs.js';

/** Security profile of the sandbox's client listener. `plaintext`: no security (the default, as before). */
export type SandboxSecurity = 'plaintext' | 'sasl-plaintext' | 'sasl-ssl' | 'mtls';
export const SANDBOX_SECURITY: readonly SandboxSecurity[] = ['plaintext', 'sasl-plaintext', 'sasl-ssl', 'mtls'];

/** The sandbox's users (see module doc). */
export const SANDBOX_USERS = ['broker', 'mm2', 'failover', 'app'] as const;
export type SandboxUser = (typeof SANDBOX_USERS)[number];
/** The tool's principal in a secured sandbox. */
export const TOOL_USER: SandboxUser = 'failover';
/** The traffic generator's principal (`sandbox traffic`: the sandbox's applications), never the tool's. */
export const APP_USER: SandboxUser = 'app';
/** Super users (`super.users`): the brokers and MirrorMaker 2 only. */
export const SUPER_USERS: SandboxUser[] = ['broker', 'mm2'];

/** Kafka `security.protocol` of the client listener in a profile. */
export function securityProtocol(s: SandboxSecurity): 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL' {
  return s === 'sasl-ssl' ? 'SASL_SSL' : s === 'mtls' ? 'SSL' : s === 'sasl-plaintext' ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
}
const usesTls = (s: SandboxSecurity) => s === 'sasl-ssl' || s === 'mtls';
const usesSasl = (s: SandboxSecurity) => s === 'sasl-ssl' || s === 'sasl-plaintext';

/** Folder of the security material in a state folder. */
export function securityDir(stateDir: string): string {
  return path.join(stateDir, 'security');
}

/** Paths of the security material (PEM files: certificates, PKCS#8 keys unencrypted, files mode 0600). */
export interface SecurityFiles {
  dir: string;
  /** The sandbox CA's certificate: clients' and brokers' trust store. */
  caCert: string;
  /** Per user: certificate (`<user>.crt`), key (`<user>.key`), both in one file (`<user>.pem`, a Kafka PEM key store), password file. */
  user: Record<SandboxUser, { cert: string; key: string; pem: string; passwordFile: string }>;
  /** A certificate (CN=failover) signed by another CA: what a broker must refuse (an untrusted client certificate). */
  rogue: { cert: string; key: string };
}

/** The security files of a state folder (paths only). */
export function securityFiles(stateDir: string): SecurityFiles {
  const dir = securityDir(stateDir);
  const user = Object.fromEntries(
    SANDBOX_USERS.map((u) => [
      u,
      { cert: path.join(dir, `${u}.crt`), key: path.join(dir, `${u}.key`), pem: path.join(dir, `${u}.pem`), passwordFile: path.join(dir, `${u}.password`) },
    ]),
  ) as SecurityFiles['user'];
  return { dir, caCert: path.join(dir, 'ca.crt'), user, rogue: { cert: path.join(dir, 'rogue.crt'), key: path.join(dir, 'rogue.key') } };
}

/** Loaded secrets: the password of each user (random hex, 32 characters). */
export type SandboxPasswords = Record<SandboxUser, string>;

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await execa('openssl', args, { cwd, reject: false, all: true, timeout: 60_000 });
  if (r.failed)
    throw new KafkaFailoverError(`openssl ${args[0]} failed while making the sandbox's certificates:\n${(r.all ?? '').slice(-1500)}`, {
      hint: `Check that openssl works, then delete ${cwd} and run "sandbox up" again.`,
    });
}

/**
 * Makes (once) and returns the security material of a state folder: a CA, a certificate per user signed by it
 * (`CN=<user>`; the broker's with subjectAltName IP:127.0.0.1 only, so a client that reaches it as `localhost` sees
 * a host name mismatch), a rogue CA's `CN=failover` certificate, and a password per user.
 * @throws KafkaFailoverError when openssl fails (its output's tail in the message).
 */
export async function ensureSecurityMaterial(stateDir: string): Promise<{ files: SecurityFiles; passwords: SandboxPasswords }> {
  const f = securityFiles(stateDir);
  await mkdir(f.dir, { recursive: true, mode: 0o700 });
  const days = '3650';
  if (!existsSync(f.caCert)) {
    await openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=kafka-failover-sandbox-ca'],
      f.dir,
    );
  }
  for (const u of SANDBOX_USERS) {
    const p = f.user[u];
    if (!existsSync(p.pem)) {
      await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${u}.key`, '-out', `${u}.csr`, '-subj', `/CN=${u}`], f.dir);
      const ext = `${u}.ext`;
      await writeFile(
        path.join(f.dir, ext),
        u === 'broker' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' : 'extendedKeyUsage=clientAuth\n',
      );
      await openssl(
        ['x509', '-req', '-in', `${u}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${u}.crt`, '-days', days, '-extfile', ext],
        f.dir,
      );
      await writeFile(p.pem, (await readFile(p.key, 'utf8')) + (await readFile(p.cert, 'utf8')), { mode: 0o600 });
    }
    if (!existsSync(p.passwordFile)) await writeFile(p.passwordFile, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  }
  if (!existsSync(f.rogue.cert)) {
    await openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', days, '-subj', '/CN=failover'],
      f.dir,
    );
  }
  for (const name of await readdir(f.dir)) await chmod(path.join(f.dir, name), 0o600);
  const passwords = Object.fromEntries(
    await Promise.all(SANDBOX_USERS.map(async (u) => [u, (await readFile(f.user[u].passwordFile, 'utf8')).trim()] as const)),
  ) as SandboxPasswords;
  return { files: f, passwords };
}

/** Reads the passwords of an existing secured sandbox (after {@link ensureSecurityMaterial}). */
export async function readPasswords(stateDir: string): Promise<SandboxPasswords> {
  const f = securityFiles(stateDir);
  return Object.fromEntries(
    await Promise.all(SANDBOX_USERS.map(async (u) => [u, (await readFile(f.user[u].passwordFile, 'utf8')).trim()] as const)),
  ) as SandboxPasswords;
}

/** `kafka-storage format` arguments creating the SCRAM users (KIP-900): every user with SCRAM-SHA-512, `failover` also with SCRAM-SHA-256. */
export function scramFormatArgs(s: SandboxSecurity, pw: SandboxPasswords): string[] {
  if (!usesSasl(s)) return [];
  const args = SANDBOX_USERS.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u},password=${pw[u]}]`]);
  return [...args, '--add-scram', `SCRAM-SHA-256=[name=${TOOL_USER},password=${pw[TOOL_USER]}]`];
}

const scramJaas = (user: string, password: string) =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

/**
 * Broker (and controller) settings of a secured profile: listener protocol map, SASL mechanisms and JAAS, TLS
 * stores, principal mapping, the authorizer and its super users. `clientListener` is false for a controller-only node.
 * Sources: KafkaConfig `sasl.enabled.mechanisms`, `listener.name.<l>.<mechanism>.sasl.jaas.config`,
 * `sasl.mechanism.controller.protocol`, `ssl.principal.mapping.rules`, `authorizer.class.name`, `super.users`.
 */
export function brokerSecurityProperties(s: SandboxSecurity, f: SecurityFiles, pw: SandboxPasswords): Properties {
  const plainUsers = [TOOL_USER, 'broker'].map((u) => `user_${u}="${pw[u as SandboxUser]}"`).join(' ');
  const p: Properties = {
    'listener.security.protocol.map': `CLIENT:${securityProtocol(s)},CONTROLLER:SASL_PLAINTEXT`,
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.controller.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${pw.broker}" user_broker="${pw.broker}";`,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': SUPER_USERS.map((u) => `User:${u}`).join(';'),
    'allow.everyone.if.no.acl.found': 'false',
  };
  if (usesSasl(s)) {
    Object.assign(p, {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.client.scram-sha-512.sasl.jaas.config': scramJaas('broker', pw.broker),
      'listener.name.client.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      // PLAIN users are static (JAAS `user_<name>`): the tool's principal and the brokers'.
      'listener.name.client.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${pw.broker}" ${plainUsers};`,
      // Unsecured JWS tokens (alg "none"), validated for sub/exp: test tokens only, never in production.
      'listener.name.client.oauthbearer.sasl.jaas.config':
        'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
      'listener.name.client.oauthbearer.sasl.server.callback.handler.class':
        'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
    });
  }
  if (usesTls(s)) {
    Object.assign(p, {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': f.user.broker.pem,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': f.caCert,
      'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+)$/$1/,DEFAULT',
      ...(s === 'mtls' ? { 'ssl.client.auth': 'required' } : {}),
    });
  }
  return p;
}

/**
 * Kafka client settings for one sandbox user, as client `.properties` keys (MirrorMaker 2 takes them with a
 * cluster-alias prefix). `relativeTo`: write file paths relative to this folder (a client properties file read by
 * this tool), else absolute.
 */
export function clientSecurityProperties(s: SandboxSecurity, f: SecurityFiles, user: SandboxUser, password: string, relativeTo?: string): Properties {
  const at = (file: string) => (relativeTo ? path.relative(relativeTo, file) : file);
  const p: Properties = { 'security.protocol': securityProtocol(s) };
  if (usesSasl(s)) Object.assign(p, { 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': scramJaas(user, password) });
  if (usesTls(s)) Object.assign(p, { 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': at(f.caCert) });
  if (s === 'mtls') Object.assign(p, { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': at(f.user[user].pem) });
  return p;
}

/** `clientProperties` with every key prefixed (MirrorMaker 2's `<alias>.` or Connect's `producer.` …). */
export function prefixed(prefix: string, p: Properties): Properties {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [`${prefix}${k}`, v]));
}

/**
 * kafkajs settings (`ssl`, `sasl`) for one sandbox user: what the sandbox's own readiness checks use (as `broker`).
 */
export async function kafkajsSecurity(
  s: SandboxSecurity,
  stateDir: string,
  user: SandboxUser,
): Promise<{ ssl?: { ca: string; cert?: string; key?: string }; sasl?: { mechanism: 'scram-sha-512'; username: string; password: string } }> {
  if (s === 'plaintext') return {};
  const f = securityFiles(stateDir);
  const out: Awaited<ReturnType<typeof kafkajsSecurity>> = {};
  if (usesTls(s)) {
    out.ssl = { ca: await readFile(f.caCert, 'utf8') };
    if (s === 'mtls') Object.assign(out.ssl, { cert: await readFile(f.user[user].cert, 'utf8'), key: await readFile(f.user[user].key, 'utf8') });
  }
  if (usesSasl(s)) out.sasl = { mechanism: 'scram-sha-512', username: user, password: (await readPasswords(stateDir))[user] };
  return out;
}

/**
 * An unsecured JWS (RFC 7515 with `alg: none`, no signature) that a secured sandbox's brokers accept for
 * SASL/OAUTHBEARER (OAuthBearerUnsecuredValidatorCallbackHandler checks `sub` and `exp` only). For tests and
 * rehearsals of a token command; a real cluster validates signed tokens.
 * @param lifetimeMs validity from now in ms; ≤ 0 makes an already expired token.
 */
export function unsecuredToken(subject: string = TOOL_USER, lifetimeMs = 3_600_000, nowMs = Date.now()): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(nowMs / 1000) - (lifetimeMs <= 0 ? 7200 : 0);
  const exp = Math.floor((nowMs + lifetimeMs) / 1000) - (lifetimeMs <= 0 ? 3600 : 0);
  return `${b64({ alg: 'none' })}.${b64({ sub: subject, iat, exp })}.`;
}
