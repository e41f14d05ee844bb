/**
 * Telling "this cluster refused us" apart from "this cluster is down". A wrong password, a rejected or expired
 * OAUTHBEARER token, a broker certificate the client does not trust, a host name that does not match the broker's
 * certificate, or a client certificate the broker refuses are configuration problems of this tool's side — never
 * evidence that a cluster is down, which would make a failover look warranted. They become a
 * {@link ClusterAccessError} naming the cluster and the cause (exit 1), which the reachability probes rethrow instead
 * of reporting the cluster as unreachable. Design note: docs/design/secured-sandbox.md.
 *
 * Sources: kafkajs 2.2.4 errors (KafkaJSSASLAuthenticationError; KafkaJSConnectionError carrying Node's TLS error
 * code: UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT,
 * ERR_TLS_CERT_ALTNAME_INVALID, CERT_HAS_EXPIRED); OpenSSL alerts a broker sends for a refused client certificate
 * (TLS alert 42 bad certificate, 46 certificate unknown, 48 unknown CA); Kafka's SaslAuthenticateResponse messages.
 */
import { KafkaFailoverError } from '../errors.js';
import { TokenSourceError } from '../clusters/oauth-token.js';

/** Why a cluster refused this tool. */
export type AccessFailure = 'authentication' | 'token' | 'token-source' | 'untrusted-certificate' | 'hostname-mismatch' | 'client-certificate-refused';

/** A cluster refused this tool (credentials, token or certificates): exit 1, message naming cluster and cause. */
export class ClusterAccessError extends KafkaFailoverError {
  constructor(
    readonly alias: string,
    readonly failure: AccessFailure,
    message: string,
    hint: string,
  ) {
    super(message, { hint });
  }
}

/** The SASL identity as the client settings give it (mechanism, user name); never a secret. */
export interface SaslIdentity {
  mechanism?: string;
  username?: string;
}

function chain(error: unknown): { name?: string; message?: string; code?: string }[] {
  const out: { name?: string; message?: string; code?: string }[] = [];
  let e = error as { name?: string; message?: string; code?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let i = 0; e && typeof e === 'object' && i < 8; i++) {
    out.push(e);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return out;
}

/**
 * Classifies an error from a kafkajs call on cluster `alias`; undefined when it is not an access failure (a
 * connection refused, a timeout: the cluster may well be down).
 */
export function classifyAccessError(alias: string, error: unknown, sasl: SaslIdentity = {}): ClusterAccessError | undefined {
  if (error instanceof ClusterAccessError) return error;
  const links = chain(error);
  const tokenSource = links.find((l) => l instanceof TokenSourceError) as TokenSourceError | undefined;
  if (tokenSource)
    return new ClusterAccessError(alias, 'token-source', `Cluster ${alias}: no OAUTHBEARER token: ${tokenSource.message}`, tokenSource.hint ?? '');
  const text = links.map((l) => `${l.name ?? ''} ${l.code ?? ''} ${l.message ?? ''}`).join(' | ');
  const mech = (sasl.mechanism ?? '').toUpperCase();
  if (links.some((l) => l.name === 'KafkaJSSASLAuthenticationError') || /SASL_AUTHENTICATION_FAILED|authentication failed/i.test(text)) {
    if (mech === 'OAUTHBEARER') {
      const status = /status "([\w.-]+)"/.exec(text)?.[1];
      return new ClusterAccessError(
        alias,
        'token',
        `Cluster ${alias}: the broker refused the OAUTHBEARER token (invalid, expired, or not for this cluster)${status ? `: status "${status}"` : ''}.`,
        'Check the token source (tokenCommand / tokenFile / tokenEnv): the token must be current (exp), for this audience, and its subject must be a principal the cluster knows.',
      );
    }
    return new ClusterAccessError(
      alias,
      'authentication',
      `Cluster ${alias}: authentication failed: the broker refused the SASL ${mech || ''} credentials of user "${sasl.username ?? '?'}" (wrong password, unknown user, or a mechanism this user has no credentials for).`,
      `Check clusters.${alias}.sasl (username, and the password its passwordEnv / passwordFile holds) or sasl.jaas.config in its client properties.`,
    );
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i.test(text)) {
    return new ClusterAccessError(
      alias,
      'hostname-mismatch',
      `Cluster ${alias}: TLS host name mismatch: the broker's certificate does not name the host this tool connected to (${links.find((l) => /altnames/.test(l.message ?? ''))?.message?.replace(/^Connection error: /, '') ?? 'altnames'}).`,
      `Use the host names the certificate lists in clusters.${alias}.bootstrapServers (and in the brokers' advertised.listeners), or reissue the certificate; tls.verifyHostname: false turns the check off (not advised).`,
    );
  }
  if (
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate/i.test(
      text,
    )
  ) {
    return new ClusterAccessError(
      alias,
      'untrusted-certificate',
      `Cluster ${alias}: the broker's TLS certificate is not trusted (it is not signed by a CA this tool trusts).`,
      `Give the CA that signed the brokers' certificates as clusters.${alias}.tls.caFile (PEM), or ssl.truststore.location with ssl.truststore.type=PEM in its client properties.`,
    );
  }
  if (/CERT_HAS_EXPIRED|certificate has expired/i.test(text)) {
    return new ClusterAccessError(
      alias,
      'untrusted-certificate',
      `Cluster ${alias}: the broker's TLS certificate has expired.`,
      "Renew the brokers' certificates.",
    );
  }
  if (/alert (bad certificate|certificate unknown|unknown ca|certificate required|handshake failure)|SSL alert number (42|46|48|116)/i.test(text)) {
    return new ClusterAccessError(
      alias,
      'client-certificate-refused',
      `Cluster ${alias}: the broker refused this tool's TLS client certificate (missing, or not signed by a CA the broker trusts).`,
      `Check clusters.${alias}.tls.certFile / keyFile (or ssl.keystore.location in its client properties): the certificate must be signed by a CA in the brokers' ssl.truststore.`,
    );
  }
  return undefined;
}

/** Rethrows `error` as a {@link ClusterAccessError} when it is one, else as is. */
export function rethrowAccess(alias: string, error: unknown, sasl?: SaslIdentity): never {
  throw classifyAccessError(alias, error, sasl) ?? error;
}
