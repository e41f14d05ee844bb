/** docker-compose.yml must describe the same topology as the JVM sandbox: aliases, ports, broker and MM2 settings. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { brokerProperties, mm2Properties } from '../../../src/rehearsal/sandbox/configs.js';
import { envToProperties } from '../../../src/rehearsal/sandbox/docker-env.js';
import { defaultSandboxOptions, topology } from '../../../src/rehearsal/sandbox/topology.js';

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, { image: string; environment?: Record<string, string>; command?: string[] }>;
  configs: Record<string, { content: string }>;
};
const o = defaultSandboxOptions();
const t = topology(o);

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('docker-compose.yml', () => {
  it('has one service per sandbox node plus mm2, all on the sandbox Kafka version', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...t.nodes.map((n) => n.name), 'mm2'].sort());
    for (const s of Object.values(compose.services)) expect(s.image).toBe(`apache/kafka:${o.kafkaVersion}`);
  });

  for (const node of t.nodes) {
    it(`${node.name} has exactly the sandbox broker settings (ports ${node.port}/${node.controllerPort})`, () => {
      const env = compose.services[node.name]!.environment!;
      expect(envToProperties(env)).toEqual(brokerProperties(node, t, o, '/var/lib/kafka/data'));
      expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });
  }

  it('mm2 runs dedicated MirrorMaker 2 for dr with exactly the sandbox mm2.properties', () => {
    expect(compose.services.mm2!.command).toEqual(['/opt/kafka/bin/connect-mirror-maker.sh', '/etc/kafka-failover/mm2.properties', '--clusters', 'dr']);
    expect(parseProperties(compose.configs['mm2-properties']!.content)).toEqual(mm2Properties(o, t));
  });

  it('docs/compose-clusters.yaml pins the compose cluster ids and ports', () => {
    const clusters = parse(readFileSync('docs/compose-clusters.yaml', 'utf8'));
    expect(clusters.clusters.primary.clusterId).toBe(compose.services['primary-1']!.environment!.CLUSTER_ID);
    expect(clusters.clusters.dr.clusterId).toBe(compose.services['dr-1']!.environment!.CLUSTER_ID);
    expect(clusters.clusters.primary.bootstrapServers).toEqual([`127.0.0.1:${t.nodes[0]!.port}`]);
  });
});
