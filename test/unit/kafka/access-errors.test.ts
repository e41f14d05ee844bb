/**
 * Access failures (refused credentials, token, certificates) are told apart from a cluster that is down, by the
 * errors kafkajs 2.2.4 raises (their names, Node's TLS error codes, the broker's TLS alerts) — wherever in the
 * cause chain kafkajs's retries put them.
 */
import { describe, expect, it } from 'vitest';
import { TokenSourceError } from '../../../src/clusters/oauth-token.js';
import { classifyAccessError } from '../../../src/kafka/access-errors.js';

const err = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });
const retried = (cause: Error) => Object.assign(err('KafkaJSNumberOfRetriesExceeded', cause.message), { cause });

describe('classifyAccessError', () => {
  it('a refused SASL password names the cluster, mechanism and user', () => {
    const e = classifyAccessError('primary', err('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: invalid credentials'), {
      mechanism: 'scram-sha-512',
      username: 'failover',
    });
    expect(e?.failure).toBe('authentication');
    expect(e?.message).toMatch(/^Cluster primary: authentication failed: .*SCRAM-SHA-512 credentials of user "failover"/);
    expect(e?.exitCode).toBe(1);
  });

  it('a refused OAUTHBEARER token says token, with the status', () => {
    const e = classifyAccessError(
      'dr',
      err('KafkaJSSASLAuthenticationError', 'SASL OAUTHBEARER authentication failed: the broker refused the token, status "invalid_token"'),
      { mechanism: 'oauthbearer' },
    );
    expect(e?.failure).toBe('token');
    expect(e?.message).toContain('Cluster dr: the broker refused the OAUTHBEARER token');
    expect(e?.message).toContain('status "invalid_token"');
  });

  it('TLS: untrusted broker certificate, host name mismatch, refused client certificate — also under a retry error', () => {
    const cases: [Error, string][] = [
      [
        err('KafkaJSConnectionError', 'Connection error: unable to verify the first certificate', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
        'untrusted-certificate',
      ],
      [
        err('KafkaJSConnectionError', 'Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
        'untrusted-certificate',
      ],
      [
        err('KafkaJSConnectionError', "Connection error: Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
        'hostname-mismatch',
      ],
      [err('KafkaJSConnectionError', 'Connection error: ssl3_read_bytes:sslv3 alert certificate unknown: SSL alert number 46'), 'client-certificate-refused'],
    ];
    for (const [e, failure] of cases) {
      expect(classifyAccessError('primary', e)?.failure).toBe(failure);
      expect(classifyAccessError('primary', retried(e))?.failure).toBe(failure);
    }
  });

  it('a token source that fails is named as such', () => {
    const e = classifyAccessError('primary', new TokenSourceError('clusters.primary.sasl.tokenCommand (get-token) exited with code 1'));
    expect(e?.failure).toBe('token-source');
    expect(e?.message).toContain('Cluster primary: no OAUTHBEARER token');
  });

  it('a refused connection or a timeout is not an access failure: the cluster may be down', () => {
    expect(
      classifyAccessError('primary', err('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(classifyAccessError('primary', err('KafkaJSRequestTimeoutError', 'Request Metadata(key: 3, version: 6) timed out'))).toBeUndefined();
  });
});
