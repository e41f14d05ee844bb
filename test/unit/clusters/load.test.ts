/** The clusters file: valid files load with defaults; every problem is reported at once with line:column and a fix. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientSettings, findFlow, loadClustersFile } from '../../../src/clusters/load.js';
import { InvalidInputError, ValidationError } from '../../../src/errors.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-clusters-'));
  const f = path.join(dir, name);
  await writeFile(f, text);
  return f;
}

async function problems(text: string) {
  const f = await file('clusters.yaml', text);
  const err = await loadClustersFile(f).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return { f, list: (err as ValidationError).problems, message: (err as ValidationError).message };
}

describe('clusters file', () => {
  it('loads the sandbox format with MM2 defaults for filters', async () => {
    const f = await file(
      'clusters.yaml',
      'clusters:\n  primary:\n    bootstrapServers: ["127.0.0.1:19092"]\n    clusterId: abc\n  dr:\n    bootstrapServers: ["127.0.0.1:19102"]\nflows:\n  - source: primary\n    target: dr\n',
    );
    const loaded = await loadClustersFile(f);
    const flow = findFlow(loaded);
    expect(flow).toMatchObject({
      replicationPolicy: 'default',
      separator: '.',
      offsetSyncsTopicLocation: 'source',
      groupsExclude: ['console-consumer-.*', 'connect-.*', '__.*'],
    });
    expect(clientSettings(loaded, 'primary').bootstrapServers).toEqual(['127.0.0.1:19092']);
  });

  it('reports every problem at once, each with line and column', async () => {
    const { list } = await problems(
      [
        'clusters:', //                                   1
        '  primary:', //                                  2
        '    bootstrapServers: ["no-port"]', //           3
        '  dr:', //                                       4
        '    bootstrapServers: []', //                    5
        '    colour: blue', //                            6
        'flows:', //                                      7
        '  - source: primary', //                         8
        '    target: dr', //                              9
        '    replicationPolicy: mirror', //               10
      ].join('\n'),
    );
    const at = (field: string) => list.find((p) => p.field === field);
    expect(at('clusters.primary.bootstrapServers[0]')).toMatchObject({ line: 3, message: expect.stringContaining('host:port') });
    expect(at('clusters.dr.bootstrapServers')).toMatchObject({ line: 5 });
    expect(at('clusters.dr')).toMatchObject({ line: 6, hint: expect.stringContaining('"colour"') });
    expect(at('flows[0].replicationPolicy')).toMatchObject({ line: 10, hint: 'Use one of: "default", "identity".' });
    expect(list).toHaveLength(4);
  });

  it('names unknown clusters in flows with the known ones', async () => {
    const { list } = await problems('clusters:\n  a: { bootstrapServers: ["h:1"] }\nflows:\n  - { source: a, target: b }\n');
    expect(list).toEqual([
      expect.objectContaining({ field: 'flows[0].target', line: 4, message: 'unknown cluster "b"', hint: 'Use one of the clusters defined above: a.' }),
    ]);
  });

  it('refuses a literal password, pointing at passwordEnv / passwordFile, and never echoes the secret', async () => {
    const { list, message } = await problems(
      'clusters:\n  a:\n    bootstrapServers: ["h:1"]\n    sasl: { mechanism: plain, username: u, password: hunter2, passwordEnv: P }\n',
    );
    expect(list[0]).toMatchObject({ line: 4, hint: expect.stringContaining('passwordEnv') });
    expect(message).not.toContain('hunter2');
  });

  it('reports malformed YAML with its position', async () => {
    const { list } = await problems('clusters:\n  a: { bootstrapServers: ["h:1"]\n');
    expect(list[0]).toMatchObject({ field: '(yaml)', line: expect.any(Number) });
  });

  it('says which file cannot be read (exit code 2)', async () => {
    const err = await loadClustersFile('/nonexistent/clusters.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).message).toBe('Cannot read /nonexistent/clusters.yaml: no such file.');
  });

  it('reads SASL/TLS from a Kafka client properties file with ${env:…} secrets', async () => {
    const dir = path.dirname(await file('ca.pem', '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'));
    await writeFile(
      path.join(dir, 'client.properties'),
      'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="failover" password="${env:KF_TEST_PW}";\nssl.truststore.type=PEM\nssl.truststore.location=ca.pem\n',
    );
    const f = path.join(dir, 'clusters.yaml');
    await writeFile(f, 'clusters:\n  a:\n    bootstrapServers: ["h:1"]\n    clientProperties: client.properties\n');
    const loaded = await loadClustersFile(f, { KF_TEST_PW: 's3cret' });
    const s = clientSettings(loaded, 'a', { KF_TEST_PW: 's3cret' });
    expect(s.extra?.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'failover', password: 's3cret' });
    expect(s.extra?.ssl).toMatchObject({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
    const missing = await loadClustersFile(f, {}).catch((e: unknown) => e);
    expect((missing as ValidationError).problems[0]).toMatchObject({
      field: 'clusters.a.clientProperties',
      line: 4,
      message: expect.stringContaining('KF_TEST_PW, which is not set'),
    });
  });
});
