/**
 * Kafka Connect REST through a port (issue 13, item 4): `stop-replication` reaches Connect only through
 * `ctx.connect(…)`, which the run options can replace — proven with a fake ConnectPort driven by the executor (the
 * write records carry the port's description, a missing connector counts as stopped, any other refusal fails the
 * step, a dry-run sends nothing) — and the fetch adapter's own contract against a local HTTP server (status, errors
 * naming the redacted URL, a trailing slash in the base URL).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectRestError, createConnectPort, type ConnectorAction, type ConnectPort, type ConnectTarget } from '../../../src/adapters/connect.js';
import type { LoadedClusters } from '../../../src/clusters/load.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import type { KafkaPort } from '../../../src/kafka/port.js';
import { startReplication } from '../../../src/steps/start-replication.js';
import { stopReplication } from '../../../src/steps/stop-replication.js';
import { clusters as baseClusters } from '../engine/fixtures.js';

/** A Connect cluster in memory: records every request, answers with the status configured per connector. */
function fakeConnect(statuses: Record<string, number>) {
  const calls: { target: ConnectTarget; action: ConnectorAction | 'status'; connector: string }[] = [];
  const port = (target: ConnectTarget): ConnectPort => {
    const put = (action: ConnectorAction) => async (connector: string) => {
      calls.push({ target, action, connector });
      const status = statuses[connector] ?? 204;
      if (status >= 300) throw new ConnectRestError(`PUT fake/${connector}/${action}: HTTP ${status} refused`, status);
      return { status };
    };
    return {
      describe: (connector, action) => ({ method: 'PUT', url: `fake/${connector}/${action}` }),
      pause: put('pause'),
      resume: put('resume'),
      stop: put('stop'),
      status: async (connector) => {
        calls.push({ target, action: 'status', connector });
        return { connector: 'STOPPED', tasks: [] };
      },
    };
  };
  return { port, calls };
}

const clusters: LoadedClusters = {
  ...baseClusters,
  config: {
    ...baseClusters.config,
    flows: [{ ...baseClusters.config.flows[0]!, mm2: { connect: { url: 'http://connect:8083', connectors: { source: 'src', checkpoint: 'cp' } } } }],
  },
};

/** Cluster b has the flow's checkpoints topic, and nothing is appended to it (MM2 stopped). */
const kafka = (() => ({
  describeCluster: async () => ({ clusterId: 'x', controllerId: 1, brokers: [] }),
  listTopics: async () => ['a.checkpoints.internal'],
  partitionOffsets: async () => [{ partition: 0, lowWatermark: 0, highWatermark: 7 }],
  close: async () => {},
})) as unknown as (alias: string) => KafkaPort;

const STOP = '  - id: stop\n    kind: stop-replication\n    with: { quietWindowMs: 100 }\n';

async function runStop(statuses: Record<string, number>, dryRun = false, steps = STOP) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-connect-port-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n${steps}`);
  const registry = new StepRegistry().register(stopReplication).register(startReplication);
  const runbook = await loadRunbook(file, registry);
  const connect = fakeConnect(statuses);
  const result = await runRunbook({
    runbook,
    clusters,
    registry,
    dryRun,
    yes: true,
    runsDir: path.join(dir, 'runs'),
    kafka,
    connect: connect.port,
    lock: false,
    operator: 'tester',
  });
  return { result, calls: connect.calls };
}

describe('stop-replication through a fake ConnectPort (run option `connect`)', () => {
  it("stops the source and checkpoint connectors of the flow, recording the port's description of each request", async () => {
    const { result, calls } = await runStop({});
    expect(result.exitCode).toBe(0);
    expect(calls).toEqual([
      { target: { url: 'http://connect:8083', connectors: { source: 'src', checkpoint: 'cp' } }, action: 'stop', connector: 'src' },
      { target: { url: 'http://connect:8083', connectors: { source: 'src', checkpoint: 'cp' } }, action: 'stop', connector: 'cp' },
    ]);
    expect(result.events.filter((e) => e.kind === 'write.done')).toEqual([
      expect.objectContaining({
        write: { action: 'stop MM2 connector (Connect REST)', details: { method: 'PUT', url: 'fake/src/stop' } },
        result: { status: 204 },
      }),
      expect.objectContaining({
        write: { action: 'stop MM2 connector (Connect REST)', details: { method: 'PUT', url: 'fake/cp/stop' } },
        result: { status: 204 },
      }),
    ]);
  });

  it('a connector Connect does not know (404) counts as stopped: the run goes on and records the 404', async () => {
    const { result, calls } = await runStop({ src: 404 });
    expect(result.outcome).toBe('succeeded');
    expect(calls.map((c) => c.connector)).toEqual(['src', 'cp']);
    expect(result.events.find((e) => e.kind === 'write.done')).toMatchObject({ result: { status: 404 } });
  });

  it("any other refusal (409) fails the step with Connect's answer, and the second connector is not touched", async () => {
    const { result, calls } = await runStop({ src: 409 });
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe('PUT fake/src/stop: HTTP 409 refused');
    expect(calls.map((c) => c.connector)).toEqual(['src']);
  });

  it('a dry-run sends nothing to Connect and records what it would send', async () => {
    const { result, calls } = await runStop({}, true);
    expect(result.outcome).toBe('succeeded');
    expect(calls).toEqual([]);
    expect(result.events.filter((e) => e.kind === 'write.would').map((e) => (e as { write: { details: unknown } }).write.details)).toEqual([
      { method: 'PUT', url: 'fake/src/stop' },
      { method: 'PUT', url: 'fake/cp/stop' },
    ]);
  });
});

describe('start-replication through a fake ConnectPort', () => {
  it('resumes the source and checkpoint connectors, then verifies the checkpoints topic', async () => {
    const { result, calls } = await runStop({}, false, '  - id: start\n    kind: start-replication\n');
    expect(result.outcome).toBe('succeeded');
    expect(calls.map((c) => `${c.action} ${c.connector}`)).toEqual(['resume src', 'resume cp']);
    expect(result.events.filter((e) => e.kind === 'write.done').map((e) => (e as { write: { details: unknown } }).write.details)).toEqual([
      { method: 'PUT', url: 'fake/src/resume' },
      { method: 'PUT', url: 'fake/cp/resume' },
    ]);
  });
});

describe('createConnectPort (fetch)', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A Connect REST stand-in: `/connectors/gone/*` is 404 with a body, status of `mm2` answers RUNNING. */
  async function connectServer() {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.startsWith('/connectors/gone/'))
        return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error_code":404,"message":"Connector gone not found"}');
      if (req.url === '/connectors/mm2/status')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"name":"mm2","connector":{"state":"RUNNING"},"tasks":[{"id":0,"state":"RUNNING"},{"id":1,"state":"FAILED"}]}');
      res.writeHead(202).end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  it('PUTs pause/resume/stop to /connectors/{name}/{action} (base URL with a trailing slash) and returns the status', async () => {
    const { url, seen } = await connectServer();
    const port = createConnectPort({ url: `${url}/` });
    expect(await port.pause('my src', { timeoutMs: 5000 })).toEqual({ status: 202 });
    expect(await port.resume('cp', { timeoutMs: 5000 })).toEqual({ status: 202 });
    expect(await port.stop('cp', { timeoutMs: 5000 })).toEqual({ status: 202 });
    expect(seen).toEqual(['PUT /connectors/my%20src/pause', 'PUT /connectors/cp/resume', 'PUT /connectors/cp/stop']);
    expect(port.describe('cp', 'stop')).toEqual({ method: 'PUT', url: `${url}/connectors/cp/stop` });
  });

  it("a non-2xx answer rejects with ConnectRestError carrying the status, the URL and Connect's body", async () => {
    const { url } = await connectServer();
    const err = await createConnectPort({ url })
      .stop('gone', { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectRestError);
    expect((err as ConnectRestError).status).toBe(404);
    expect((err as Error).message).toBe(`PUT ${url}/connectors/gone/stop: HTTP 404 {"error_code":404,"message":"Connector gone not found"}`);
  });

  it('status reads the connector and task states', async () => {
    const { url, seen } = await connectServer();
    expect(await createConnectPort({ url }).status('mm2', { timeoutMs: 5000 })).toEqual({ connector: 'RUNNING', tasks: ['RUNNING', 'FAILED'] });
    expect(seen).toEqual(['GET /connectors/mm2/status']);
  });

  it('describe names the basic-auth user, never a password', () => {
    const port = createConnectPort({ url: 'https://connect:8083', auth: { type: 'basic', username: 'failover', passwordEnv: 'KF_NEVER_READ' } });
    expect(port.describe('src', 'resume')).toEqual({ method: 'PUT', url: 'https://connect:8083/connectors/src/resume', auth: 'basic (failover)' });
  });
});
