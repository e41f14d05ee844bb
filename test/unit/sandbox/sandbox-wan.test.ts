/**
 * The sandbox's WAN link, pure parts: ports and advertised listeners of dr behind Toxiproxy, the proxies, the toxics
 * a link becomes, and how `sandbox up` options merge with an existing link.
 */
import { describe, expect, it } from 'vitest';
import { brokerProperties, connectWorkerProperties, mm2Properties } from '../../../src/rehearsal/sandbox/configs.js';
import { sandboxClustersDocument } from '../../../src/rehearsal/sandbox/clusters-file.js';
import { allPorts, bootstrapServers, defaultSandboxOptions, topology } from '../../../src/rehearsal/sandbox/topology.js';
import { PrerequisiteError } from '../../../src/errors.js';
import {
  describeWanLink,
  mergeWanLink,
  requireGo,
  resolveToxiproxy,
  toxiproxyProxies,
  validateWanLink,
  wanToxics,
} from '../../../src/rehearsal/sandbox/wan.js';

const wan = { latencyMs: 50 };

describe('sandbox WAN link: topology and broker configs', () => {
  it('without a link nothing changes: dr advertises its own port on PLAINTEXT, the inter-broker listener', () => {
    const o = defaultSandboxOptions();
    const t = topology(o);
    expect(t.toxiproxyPort).toBeUndefined();
    expect(bootstrapServers(t, 'dr')).toEqual(['127.0.0.1:19102']);
    const p = brokerProperties(t.nodes[1]!, t, o, '/d');
    expect(p.listeners).toBe('PLAINTEXT://127.0.0.1:19102,CONTROLLER://127.0.0.1:19103');
    expect(p['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19102');
    expect(p['inter.broker.listener.name']).toBe('PLAINTEXT');
    expect(toxiproxyProxies(t)).toEqual([]);
  });

  it('a 1-broker dr advertises the proxy port; replication on its own direct listener; controller stays direct; primary untouched', () => {
    const o = defaultSandboxOptions({ portBase: 36090, wan });
    const t = topology(o);
    expect(t.toxiproxyPort).toBe(36111);
    expect(bootstrapServers(t, 'primary')).toEqual(['127.0.0.1:36092']);
    expect(bootstrapServers(t, 'dr')).toEqual(['127.0.0.1:36112']);
    const dr = brokerProperties(t.nodes[1]!, t, o, '/d');
    expect(dr.listeners).toBe('PLAINTEXT://127.0.0.1:36102,REPLICATION://127.0.0.1:36113,CONTROLLER://127.0.0.1:36103');
    expect(dr['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:36112,REPLICATION://127.0.0.1:36113');
    expect(dr['inter.broker.listener.name']).toBe('REPLICATION');
    expect(dr['listener.security.protocol.map']).toBe('PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(dr['controller.quorum.voters']).toBe('1@127.0.0.1:36103');
    const primary = brokerProperties(t.nodes[0]!, t, o, '/d');
    expect(primary['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:36092');
    expect(toxiproxyProxies(t)).toEqual([{ name: 'dr-1', listen: '127.0.0.1:36112', upstream: '127.0.0.1:36102', enabled: true }]);
  });

  it('a 3-broker dr gets one proxy per broker and no port clash in the whole block', () => {
    const o = defaultSandboxOptions({ primaryBrokers: 3, drBrokers: 3, wan });
    const t = topology(o);
    expect(toxiproxyProxies(t).map((p) => `${p.name} ${p.listen} -> ${p.upstream}`)).toEqual([
      'dr-1 127.0.0.1:19112 -> 127.0.0.1:19102',
      'dr-2 127.0.0.1:19114 -> 127.0.0.1:19104',
      'dr-3 127.0.0.1:19116 -> 127.0.0.1:19106',
    ]);
    expect(bootstrapServers(t, 'dr')).toEqual(['127.0.0.1:19112', '127.0.0.1:19114', '127.0.0.1:19116']);
    const ctl = brokerProperties(t.nodes.find((n) => n.name === 'dr-controller')!, t, o, '/d');
    expect(ctl.listeners).toBe('CONTROLLER://127.0.0.1:19103');
    expect(ctl['advertised.listeners']).toBeUndefined();
    const ports = allPorts(t, 'connect');
    expect(new Set(ports.map((p) => p.port)).size).toBe(ports.length);
    expect(ports.find((p) => p.port === 19111)?.owner).toBe('toxiproxy (API)');
    expect(ports.find((p) => p.port === 19117)?.owner).toBe('dr-3 (replication)');
    expect(Math.max(...ports.map((p) => p.port))).toBe(19117);
  });

  it('MM2, the Connect worker and the clusters file reach dr through the proxy, primary directly', () => {
    const o = defaultSandboxOptions({ wan });
    const t = topology(o);
    const mm2 = mm2Properties(o, t);
    expect(mm2['dr.bootstrap.servers']).toBe('127.0.0.1:19112');
    expect(mm2['primary.bootstrap.servers']).toBe('127.0.0.1:19092');
    expect(connectWorkerProperties(t)['bootstrap.servers']).toBe('127.0.0.1:19112');
    const doc = sandboxClustersDocument(o, { primary: 'p', dr: 'd' }) as { clusters: Record<string, { bootstrapServers: string[] }> };
    expect(doc.clusters.dr!.bootstrapServers).toEqual(['127.0.0.1:19112']);
    expect(doc.clusters.primary!.bootstrapServers).toEqual(['127.0.0.1:19092']);
  });
});

describe('sandbox WAN link: toxics', () => {
  it('splits the round trip: half upstream, half downstream (odd values: the extra ms downstream)', () => {
    expect(wanToxics({ latencyMs: 50 })).toEqual([
      { name: 'wan-latency-upstream', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 25, jitter: 0 } },
      { name: 'wan-latency-downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 25, jitter: 0 } },
    ]);
    const odd = wanToxics({ latencyMs: 51, jitterMs: 5 }).map((x) => [x.stream, x.attributes]);
    expect(odd).toEqual([
      ['upstream', { latency: 25, jitter: 2 }],
      ['downstream', { latency: 26, jitter: 3 }],
    ]);
  });

  it('caps bandwidth on both streams in KB/s (kbit/s ÷ 8), and a 0 ms link has no latency toxic', () => {
    const t = wanToxics({ latencyMs: 0, bandwidthKbps: 8000 });
    expect(t.map((x) => `${x.name} ${JSON.stringify(x.attributes)}`)).toEqual([
      'wan-bandwidth-upstream {"rate":1000}',
      'wan-bandwidth-downstream {"rate":1000}',
    ]);
    expect(wanToxics({ latencyMs: 0, bandwidthKbps: 9 })[0]!.attributes).toEqual({ rate: 1 });
  });

  it('describes the link for sandbox status', () => {
    expect(describeWanLink({ latencyMs: 50 })).toBe('dr via toxiproxy, 50 ms round trip');
    expect(describeWanLink({ latencyMs: 80, jitterMs: 10, bandwidthKbps: 10000 })).toBe(
      'dr via toxiproxy, 80 ms round trip, ±10 ms jitter, 10000 kbit/s per direction',
    );
  });
});

describe('sandbox WAN link: options', () => {
  it('keeps an existing link when nothing is given, changes only the fields given, removes it on false', () => {
    const prev = { latencyMs: 50, jitterMs: 4 };
    expect(mergeWanLink(prev, undefined)).toEqual(prev);
    expect(mergeWanLink(prev, { latencyMs: undefined, jitterMs: undefined })).toEqual(prev);
    expect(mergeWanLink(prev, { latencyMs: 80 })).toEqual({ latencyMs: 80, jitterMs: 4 });
    expect(mergeWanLink(prev, false)).toBeUndefined();
    expect(mergeWanLink(undefined, undefined)).toBeUndefined();
    expect(mergeWanLink(undefined, { latencyMs: 20, bandwidthKbps: 800 })).toEqual({ latencyMs: 20, bandwidthKbps: 800 });
  });

  it('refuses jitter or bandwidth without a latency on a sandbox that has no link, naming the options', () => {
    expect(() => mergeWanLink(undefined, { jitterMs: 5 })).toThrow(/--wan-jitter-ms needs a WAN link/);
    expect(() => mergeWanLink(undefined, { bandwidthKbps: 800 })).toThrow(/--wan-bandwidth-kbps needs a WAN link/);
  });

  it('refuses out-of-range values, naming the option', () => {
    expect(() => validateWanLink({ latencyMs: -1 })).toThrow(/--wan-latency-ms must be a whole number from 0/);
    expect(() => validateWanLink({ latencyMs: 1.5 })).toThrow(/--wan-latency-ms/);
    expect(() => validateWanLink({ latencyMs: 10, bandwidthKbps: 4 })).toThrow(/--wan-bandwidth-kbps must be a whole number from 8/);
    expect(() => validateWanLink({ latencyMs: 10, jitterMs: 20 })).toThrow(/--wan-jitter-ms \(20\) is larger than --wan-latency-ms \(10\)/);
  });
});

describe('sandbox WAN link: Toxiproxy binary', () => {
  it('says Go is missing, naming the option and how to fix it', async () => {
    const err = await requireGo({}, ['/nonexistent/bin/go']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).message).toMatch(/--wan-latency-ms.*Go \("go"\) was not found/);
    expect((err as PrerequisiteError).hint).toMatch(/Install Go.*KAFKA_FAILOVER_TOXIPROXY/);
  });

  it('refuses a KAFKA_FAILOVER_TOXIPROXY that names no file', async () => {
    await expect(resolveToxiproxy({ env: { KAFKA_FAILOVER_TOXIPROXY: '/nonexistent/toxiproxy-server' } })).rejects.toThrow(
      /KAFKA_FAILOVER_TOXIPROXY names \/nonexistent\/toxiproxy-server, which does not exist/,
    );
  });
});
