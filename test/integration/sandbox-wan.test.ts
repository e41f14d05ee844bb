/**
 * The sandbox's WAN link (docs/design/wan-link.md): `sandbox up --wan-latency-ms 50` through the CLI puts Toxiproxy
 * in front of dr. MirrorMaker 2 still replicates; a request to dr takes the 50 ms round trip while primary answers at
 * loopback speed; setWanLink changes the latency of the running link and a later `up` keeps it; `sandbox down --wipe`
 * stops Toxiproxy.
 * One sandbox, one broker per cluster, on the 22090 block (below the OS's ephemeral ports from 32768: a block there can
 * find a port held by an outgoing connection, as 36092 was on a first run).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { setWanLink, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import { loadState } from '../../src/rehearsal/sandbox/state.js';
import { eventually, extraSandboxOptions, liveProcessesMentioning, runCli, uniqueName } from './helpers.js';

/** Median time (ms) of `n` describe-cluster calls on an open admin connection, after one warm-up call. */
async function medianDescribeMs(bootstrapServers: string[], n = 10): Promise<number> {
  const admin = createKafka({ bootstrapServers, clientId: `wan-probe-${randomUUID().slice(0, 6)}` }).admin();
  await admin.connect();
  try {
    await admin.describeCluster();
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await admin.describeCluster();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(n / 2)]!;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Median time (ms) of `n` single Kafka requests (ApiVersions v0, one request and one response) on one raw TCP
 * connection: the link's own round trip, without a client library's extra requests.
 */
async function medianRawRequestMs(port: number, n = 10): Promise<number> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await once(socket, 'connect');
  try {
    const times: number[] = [];
    for (let i = 0; i <= n; i++) {
      const body = Buffer.alloc(10);
      body.writeInt16BE(18, 0); // ApiVersions
      body.writeInt16BE(0, 2); // v0
      body.writeInt32BE(i, 4); // correlation id
      body.writeInt16BE(-1, 8); // null client id
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      const t0 = performance.now();
      socket.write(Buffer.concat([size, body]));
      let got = Buffer.alloc(0);
      while (got.length < 4 || got.length < 4 + got.readInt32BE(0)) got = Buffer.concat([got, (await once(socket, 'data'))[0] as Buffer]);
      if (i > 0) times.push(performance.now() - t0); // the first is a warm-up
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(n / 2)]!;
  } finally {
    socket.destroy();
  }
}

describe('sandbox WAN link', () => {
  it('--wan-latency-ms 50: dr behind Toxiproxy (≥ 50 ms a round trip, primary direct), MM2 replicates, down stops Toxiproxy', async () => {
    const o = extraSandboxOptions('wan', 22090);
    const cli = (...args: string[]) => runCli(['sandbox', ...args, '--state-dir', o.stateDir]);
    await cli('down', '--wipe'); // whatever an earlier, crashed run left on these ports
    let toxiproxyPid: number | undefined;
    let down: Awaited<ReturnType<typeof cli>>;
    try {
      const up = await cli('up', '--port-base', String(o.portBase), '--wan-latency-ms', '50', '--output', 'json');
      expect(up.exitCode, up.stderr).toBe(0);
      const s = JSON.parse(up.stdout) as SandboxStatus;
      expect(s.wan).toMatchObject({ via: 'toxiproxy', latencyMs: 50, running: true, apiUrl: 'http://127.0.0.1:22111' });
      expect(s.wan?.proxies).toEqual([{ name: 'dr-1', listen: '127.0.0.1:22112', upstream: '127.0.0.1:22102' }]);
      expect(s.clusters.dr.bootstrapServers).toEqual(['127.0.0.1:22112']);
      expect(s.clusters.primary.bootstrapServers).toEqual(['127.0.0.1:22092']);
      toxiproxyPid = s.wan?.pid;

      const status = await cli('status');
      expect(status.stdout).toContain('wan: dr via toxiproxy, 50 ms round trip');

      // dr advertises the proxy's port: every connection after bootstrap goes through the link too.
      const drAdmin = createKafka({ bootstrapServers: s.clusters.dr.bootstrapServers }).admin();
      await drAdmin.connect();
      const pAdmin = createKafka({ bootstrapServers: s.clusters.primary.bootstrapServers }).admin();
      await pAdmin.connect();
      try {
        expect((await drAdmin.describeCluster()).brokers.map((b) => `${b.host}:${b.port}`)).toEqual(['127.0.0.1:22112']);

        // MM2 (which writes into dr through the link) still replicates a record produced on primary.
        const topic = uniqueName('wan');
        await pAdmin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
        const producer = createKafka({ bootstrapServers: s.clusters.primary.bootstrapServers }).producer();
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: [{ value: 'across the wan' }] });
        await producer.disconnect();
        await eventually(`primary.${topic} on dr to hold the record`, async () => {
          const topics = await drAdmin.listTopics();
          if (!topics.includes(`primary.${topic}`)) return undefined;
          const offsets = await drAdmin.fetchTopicOffsets(`primary.${topic}`);
          return Number(offsets[0]?.high ?? 0) >= 1 ? true : undefined;
        });
      } finally {
        await Promise.allSettled([drAdmin.disconnect(), pAdmin.disconnect()]);
      }

      const dr = await medianDescribeMs(s.clusters.dr.bootstrapServers);
      const primary = await medianDescribeMs(s.clusters.primary.bootstrapServers);
      process.stderr.write(`[wan] describe-cluster median: dr ${dr.toFixed(1)} ms, primary ${primary.toFixed(1)} ms (50 ms link)\n`);
      expect(dr).toBeGreaterThanOrEqual(50);
      expect(primary).toBeLessThan(25);
      // One request's round trip is the link's 50 ms (25 ms each way), not twice it; kafkajs's describe-cluster above
      // takes two requests.
      const raw = await medianRawRequestMs(22112);
      process.stderr.write(`[wan] one Kafka request (ApiVersions) median: dr ${raw.toFixed(1)} ms\n`);
      expect(raw).toBeGreaterThanOrEqual(50);
      expect(raw).toBeLessThan(90);

      // A benchmark's knob: the running link changes at once, and the state keeps it.
      expect(await setWanLink(o.stateDir, { latencyMs: 120 })).toEqual({ latencyMs: 120 });
      const slower = await medianDescribeMs(s.clusters.dr.bootstrapServers, 5);
      process.stderr.write(`[wan] after setWanLink(120 ms): dr ${slower.toFixed(1)} ms\n`);
      expect(slower).toBeGreaterThanOrEqual(120);
      expect((await loadState(o.stateDir))?.options.wan).toEqual({ latencyMs: 120 });

      // `up` on the existing state folder keeps the link (and the Toxiproxy it runs) without any --wan-* option.
      const again = await cli('up', '--output', 'json');
      expect(again.exitCode, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as SandboxStatus).wan).toMatchObject({ latencyMs: 120, running: true, pid: toxiproxyPid });
    } finally {
      down = await cli('down', '--wipe');
    }
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toContain('toxiproxy');
    expect(toxiproxyPid).toBeDefined();
    // Toxiproxy's process is gone (a reused PID would be another program), and nothing of this sandbox runs.
    const cmdline = await readFile(`/proc/${toxiproxyPid}/cmdline`, 'utf8').catch(() => '');
    expect(cmdline).not.toContain('toxiproxy');
    expect(await liveProcessesMentioning(o.stateDir)).toEqual([]);
  });
});
