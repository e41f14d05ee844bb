import { describe, expect, it } from 'vitest';
import { brokerProperties, mm2Properties } from '../../../src/rehearsal/sandbox/configs.js';
import { fromEnvName, toEnvName } from '../../../src/rehearsal/sandbox/docker-env.js';
import { allPorts, defaultSandboxOptions, topology } from '../../../src/rehearsal/sandbox/topology.js';
import { kafkaLine, mm2VersionFor, sandboxArtifacts } from '../../../src/rehearsal/sandbox/versions.js';
import { renderPom } from '../../../src/rehearsal/sandbox/jars.js';
import { parseJavaMajor } from '../../../src/rehearsal/sandbox/prerequisites.js';

describe('sandbox topology', () => {
  it('lays out 1 primary + 1 dr node by default on the 19090 block without port clashes', () => {
    const t = topology(defaultSandboxOptions());
    expect(t.nodes.map((n) => [n.name, n.port, n.controllerPort])).toEqual([
      ['primary-1', 19092, 19093],
      ['dr-1', 19102, 19103],
    ]);
    const ports = allPorts(t, 'connect').map((p) => p.port);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('gives a 3-broker primary a dedicated controller, RF 3 and min.insync.replicas 2', () => {
    const o = defaultSandboxOptions({ primaryBrokers: 3 });
    const t = topology(o);
    expect(t.nodes.map((n) => `${n.name}:${n.roles}`)).toEqual([
      'primary-1:broker',
      'primary-2:broker',
      'primary-3:broker',
      'primary-controller:controller',
      'dr-1:combined',
    ]);
    const p2 = brokerProperties(t.nodes[1]!, t, o, '/d');
    expect(p2['process.roles']).toBe('broker');
    expect(p2.listeners).toBe('PLAINTEXT://127.0.0.1:19094');
    expect(p2['controller.quorum.voters']).toBe('9@127.0.0.1:19093');
    expect(p2['default.replication.factor']).toBe('3');
    expect(p2['min.insync.replicas']).toBe('2');
    expect(p2['offsets.topic.replication.factor']).toBe('3');
    const ctl = brokerProperties(t.nodes[3]!, t, o, '/d');
    expect(ctl['process.roles']).toBe('controller');
    expect(ctl.listeners).toBe('CONTROLLER://127.0.0.1:19093');
    expect(ctl['advertised.listeners']).toBeUndefined();
    const dr = brokerProperties(t.nodes[4]!, t, o, '/d');
    expect(dr['offsets.topic.replication.factor']).toBe('1');
  });

  it('moves every port with --port-base', () => {
    const a = allPorts(topology({ primaryBrokers: 3, portBase: 19090 }), 'connect').map((p) => p.port);
    const b = allPorts(topology({ primaryBrokers: 3, portBase: 29090 }), 'connect').map((p) => p.port);
    expect(b).toEqual(a.map((p) => p + 10000));
  });

  it('configures MM2 primary → dr only, with offset.lag.max and group offset sync as asked', () => {
    const o = defaultSandboxOptions({ offsetLagMax: 0, syncGroupOffsets: true });
    const p = mm2Properties(o, topology(o));
    expect(p['primary->dr.enabled']).toBe('true');
    expect(p['dr->primary.enabled']).toBe('false');
    expect(p['offset.lag.max']).toBe('0');
    expect(p['sync.group.offsets.enabled']).toBe('true');
    expect(p['dr.offset.flush.interval.ms']).toBe('1000');
    expect(mm2Properties(defaultSandboxOptions(), topology(defaultSandboxOptions()))['offset.lag.max']).toBe('100');
  });

  it('knows the logging backend of each Kafka line and rejects unsupported versions', () => {
    expect(kafkaLine('4.1.2').logging).toBe('log4j2');
    expect(kafkaLine('3.9.1').logging).toBe('reload4j');
    expect(() => kafkaLine('3.8.0')).toThrow(/not supported/);
    expect(() => kafkaLine('latest')).toThrow(/MAJOR.MINOR.PATCH/);
    expect(renderPom('4.1.2')).toContain('<artifactId>connect-mirror</artifactId><version>4.1.2</version>');
    expect(sandboxArtifacts('3.9.1').map((a) => a.artifactId)).toContain('slf4j-reload4j');
  });

  it('runs MM2 4.3.1 with 4.4.0 brokers (connect-mirror 4.4.0 is not served) and keeps its jars out of the broker folder', () => {
    expect(mm2VersionFor('4.4.0')).toBe('4.3.1');
    expect(mm2VersionFor('4.1.2')).toBe('4.1.2');
    expect(mm2VersionFor('3.9.1')).toBe('3.9.1');
    expect(sandboxArtifacts('4.4.0').map((a) => a.artifactId)).not.toContain('connect-mirror');
    expect(sandboxArtifacts('4.3.1').find((a) => a.artifactId === 'connect-mirror')?.version).toBe('4.3.1');
  });

  it('maps property names to apache/kafka environment names and back', () => {
    for (const k of ['log.dirs', 'share.coordinator.state.topic.min.isr', 'offset-syncs.topic.replication.factor', 'a_b.c-d']) {
      expect(fromEnvName(toEnvName(k))).toBe(k);
    }
    expect(toEnvName('log.dirs')).toBe('KAFKA_LOG_DIRS');
  });

  it('parses the Java feature release from java -version output', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('nonsense')).toBeUndefined();
  });
});
