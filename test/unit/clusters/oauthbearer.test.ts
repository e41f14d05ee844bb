/**
 * OAUTHBEARER in the clusters file: exactly one token source; tokens from a command, a file or a variable, fetched
 * at each authentication; failures name the source, never the token or the command's output.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientSettings, loadClustersFile, secretEnvNames } from '../../../src/clusters/load.js';
import { TokenSourceError, fetchToken } from '../../../src/clusters/oauth-token.js';
import { ValidationError } from '../../../src/errors.js';
import { challengeStatus } from '../../../src/kafka/oauthbearer.js';

async function dir() {
  return mkdtemp(path.join(os.tmpdir(), 'kf-oauth-'));
}

describe('OAUTHBEARER token sources', () => {
  it('a cluster with two token sources is refused with the field named', async () => {
    const d = await dir();
    const f = path.join(d, 'clusters.yaml');
    await writeFile(f, 'clusters:\n  primary:\n    bootstrapServers: ["h:9093"]\n    sasl: { mechanism: oauthbearer, tokenFile: t, tokenEnv: TOKEN }\n');
    const err = await loadClustersFile(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/clusters\.primary\.sasl.*give exactly one of tokenCommand, tokenFile and tokenEnv/s);
  });

  it('the token file is read at each authentication (relative to the clusters file), so a rotated token is used', async () => {
    const d = await dir();
    const f = path.join(d, 'clusters.yaml');
    await writeFile(f, 'clusters:\n  primary:\n    bootstrapServers: ["h:9093"]\n    sasl: { mechanism: oauthbearer, tokenFile: token.jwt }\n');
    const sasl = clientSettings(await loadClustersFile(f), 'primary').extra?.sasl as unknown as { oauthBearerProvider: () => Promise<{ value: string }> };
    await writeFile(path.join(d, 'token.jwt'), 'first.token.\n');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'first.token.' });
    await writeFile(path.join(d, 'token.jwt'), 'second.token.\n');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'second.token.' });
  });

  it('a failing token command is named by its path and exit code; its output (which may hold a secret) is not shown', async () => {
    const d = await dir();
    const cmd = path.join(d, 'get-token.sh');
    await writeFile(cmd, '#!/bin/sh\necho "client_secret=hunter2-very-secret" >&2\necho partial-token-abc\nexit 7\n');
    await chmod(cmd, 0o755);
    const err = await fetchToken('clusters.primary.sasl', { tokenCommand: [cmd] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenSourceError);
    expect((err as Error).message).toContain('exited with code 7');
    expect((err as Error).message).not.toMatch(/hunter2|partial-token/);
  });

  it('a token command that prints nothing, or an unset variable, is "no token"', async () => {
    await expect(fetchToken('x', { tokenCommand: ['true'] })).rejects.toThrow(/the token command printed no token/);
    await expect(fetchToken('x', { tokenEnv: 'KF_NO_SUCH_TOKEN' }, {})).rejects.toThrow(/no token/);
    expect(await fetchToken('x', { tokenEnv: 'T' }, { T: ' a.b. \n' })).toBe('a.b.');
  });

  it('tokenEnv is a secret variable: hooks never get it', async () => {
    const d = await dir();
    const f = path.join(d, 'clusters.yaml');
    await writeFile(f, 'clusters:\n  primary:\n    bootstrapServers: ["h:9093"]\n    sasl: { mechanism: oauthbearer, tokenEnv: KAFKA_TOKEN }\n');
    expect(secretEnvNames(await loadClustersFile(f))).toEqual(['KAFKA_TOKEN']);
  });

  it("the broker's error challenge yields its status only (RFC 7628 §3.2.2)", () => {
    expect(challengeStatus(Buffer.from('{"status":"invalid_token","scope":"x"}'))).toBe('invalid_token');
    expect(challengeStatus(Buffer.from('not json'))).toBe('unknown');
    expect(challengeStatus(Buffer.from('{"status":"<script>"}'))).toBe('unknown');
  });
});

describe('TLS files', () => {
  it('an unreadable caFile is bad input (exit 2) naming the cluster, the field and the path', async () => {
    const d = await dir();
    const f = path.join(d, 'clusters.yaml');
    await writeFile(f, 'clusters:\n  primary:\n    bootstrapServers: ["h:9093"]\n    tls: { caFile: missing-ca.pem }\n');
    const loaded = await loadClustersFile(f);
    let err: unknown;
    try {
      clientSettings(loaded, 'primary');
    } catch (e) {
      err = e;
    }
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/^clusters\.primary\.tls\.caFile: cannot read missing-ca\.pem/);
  });
});
