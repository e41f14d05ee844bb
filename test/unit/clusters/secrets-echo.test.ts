/**
 * Error messages and records never carry secret values: a client property that expands `${env:…}` is quoted as
 * written; a password pasted into passwordEnv is not printed as a variable name; a Connect REST URL with
 * credentials is refused (without repeating it); Connect REST `auth` sends basic credentials read from env or a
 * file, and the audit record of the call holds no credential.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectPort } from '../../../src/adapters/connect.js';
import { ClientPropertiesError, readClientProperties } from '../../../src/clusters/client-properties.js';
import { clientSettings, findFlow, loadClustersFile, redactUrl, secretValues } from '../../../src/clusters/load.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { WriteDescription } from '../../../src/engine/events.js';
import { InvalidInputError, ValidationError } from '../../../src/errors.js';
import { startReplication } from '../../../src/steps/start-replication.js';
import { stopReplication } from '../../../src/steps/stop-replication.js';

const SECRET = 'Scram-Hunter2-pl4nted';

async function file(name: string, text: string, dir?: string): Promise<string> {
  const d = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'kf-secrets-')));
  const f = path.join(d, name);
  await writeFile(f, text);
  return f;
}

/** Everything an error shows: message and hint, any case (some values are upper-cased before being printed). */
const shown = (e: unknown) =>
  JSON.stringify({ m: (e as Error).message, h: (e as { hint?: string }).hint, p: (e as { problems?: unknown }).problems }).toLowerCase();

afterEach(() => {
  delete process.env.KF_H3_PW;
  delete process.env.KF_H3_CONNECT_PW;
});

describe('secret values in error messages', () => {
  it('sasl.mechanism=${env:KF_H3_PW} that is not supported is quoted unexpanded, never with the password', async () => {
    const env = { KF_H3_PW: SECRET };
    const f = await file(
      'client.properties',
      'security.protocol=SASL_SSL\nsasl.mechanism=${env:KF_H3_PW}\nsasl.jaas.config=x required username="u" password="${env:KF_H3_PW}";\n',
    );
    const err = (() => {
      try {
        readClientProperties(f, env);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ClientPropertiesError);
    expect((err as Error).message).toBe('sasl.mechanism "${env:KF_H3_PW}" is not supported');
    expect(shown(err)).not.toContain(SECRET.toLowerCase());
  });

  it('the same through a clusters file: the validation error quotes ${env:…} and holds no password', async () => {
    process.env.KF_H3_PW = SECRET;
    const props = await file('client.properties', 'security.protocol=${env:KF_H3_PW}\n');
    const clusters = await file(
      'clusters.yaml',
      `clusters:\n  a:\n    bootstrapServers: ["h:1"]\n    clientProperties: ${path.basename(props)}\n`,
      path.dirname(props),
    );
    const err = await loadClustersFile(clusters).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain('security.protocol "${env:KF_H3_PW}" is not supported');
    expect(shown(err)).not.toContain(SECRET.toLowerCase());
  });

  it('a password pasted as passwordEnv (a valid-looking name, unset) is not printed back', async () => {
    const pasted = 'Hunter2_pasted_Password';
    const f = await file(
      'clusters.yaml',
      `clusters:\n  a:\n    bootstrapServers: ["h:1"]\n    sasl: { mechanism: plain, username: u, passwordEnv: ${pasted} }\n`,
    );
    const loaded = await loadClustersFile(f);
    const err = (() => {
      try {
        clientSettings(loaded, 'a', {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain('clusters.a.sasl.passwordEnv');
    expect(shown(err)).not.toContain(pasted.toLowerCase());
  });
});

const connectClusters = (url: string, auth = '') =>
  `clusters:\n  a: { bootstrapServers: ["h:1"] }\n  b: { bootstrapServers: ["h:2"] }\nflows:\n  - source: a\n    target: b\n    mm2:\n      connect:\n        url: ${url}\n${auth}        connectors: { source: src, checkpoint: cp }\n`;

describe('Connect REST credentials', () => {
  it('a Connect URL with user:password@ is refused at load time, without repeating the URL', async () => {
    const f = await file('clusters.yaml', connectClusters(`http://admin:${SECRET}@connect:8083`));
    const err = await loadClustersFile(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      expect.objectContaining({ field: 'flows[0].mm2.connect.url', message: expect.stringContaining('carries credentials') }),
    ]);
    expect(shown(err)).not.toContain(SECRET.toLowerCase());
  });

  it('redactUrl drops user info and the query string', () => {
    expect(redactUrl(`https://admin:${SECRET}@connect:8083/connectors/x/stop?token=${SECRET}`)).toBe('https://***@connect:8083/connectors/x/stop');
    expect(redactUrl('http://connect:8083/connectors/x')).toBe('http://connect:8083/connectors/x');
  });

  for (const source of ['passwordEnv', 'passwordFile'] as const) {
    it(`stop- and start-replication send basic auth from ${source}; the audit record has the URL and user, no password`, async () => {
      const seen: { url?: string; headers: IncomingHttpHeaders }[] = [];
      const server = createServer((req, res) => {
        seen.push({ url: req.url, headers: req.headers });
        res.writeHead(req.headers.authorization === `Basic ${Buffer.from(`failover:${SECRET}`).toString('base64')}` ? 202 : 401).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-connect-'));
        await writeFile(path.join(dir, 'connect.pw'), `${SECRET}\n`);
        process.env.KF_H3_CONNECT_PW = SECRET;
        const auth = `        auth: { type: basic, username: failover, ${source === 'passwordEnv' ? 'passwordEnv: KF_H3_CONNECT_PW' : 'passwordFile: connect.pw'} }\n`;
        const loaded = await loadClustersFile(await file('clusters.yaml', connectClusters(url, auth), dir));
        expect(secretValues(loaded)).toContain(SECRET);
        const records: WriteDescription[] = [];
        const ctx = {
          flow: findFlow(loaded),
          connect: createConnectPort,
          signal: new AbortController().signal,
          async write<T>(w: WriteDescription, fn: () => Promise<T>) {
            records.push(w);
            return fn();
          },
        } as unknown as StepContext;
        await stopReplication.apply!(ctx, { quietWindowMs: 100, timeoutMs: 5000 }, undefined);
        await startReplication.apply!(ctx, { timeoutMs: 5000 }, undefined);
        expect(seen.map((s) => s.url)).toEqual(['/connectors/src/stop', '/connectors/cp/stop', '/connectors/src/resume', '/connectors/cp/resume']);
        expect(records).toHaveLength(4);
        expect(records[0]).toMatchObject({ details: { method: 'PUT', url: `${url}/connectors/src/stop`, auth: 'basic (failover)' } });
        const text = JSON.stringify(records);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(Buffer.from(`failover:${SECRET}`).toString('base64'));
      } finally {
        server.close();
      }
    });
  }
});
