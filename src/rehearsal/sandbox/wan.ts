/**
 * The sandbox's simulated WAN link (docs/design/wan-link.md): one Toxiproxy proxy in front of each dr broker,
 * with latency (and optionally jitter and bandwidth) toxics, so every client of dr — the tool and MirrorMaker 2 —
 * pays a round trip like a cross-region link while primary stays direct.
 *
 * Toxiproxy (github.com/Shopify/toxiproxy, v2) is built with `go install` into the per-user cache on first use, like
 * the Kafka jars are fetched with Maven (jars.ts), started with the sandbox and driven through its HTTP API.
 * API facts used here are from Toxiproxy's README (v2.12.0): "HTTP API" (POST /populate creates or replaces
 * proxies, POST/DELETE /proxies/{proxy}/toxics[/{toxic}], GET /version) and "Toxics" (latency: `latency`, `jitter`
 * in ms; bandwidth: `rate` in KB/s; `stream` upstream = client → server, downstream = server → client).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { InvalidInputError, KafkaFailoverError, PrerequisiteError } from '../../errors.js';
import { waitFor } from '../../util/wait.js';
import { cacheRoot } from './jars.js';
import { isAlive, spawnDaemon } from './processes.js';
import { loadState, saveState, type SandboxState } from './state.js';
import { clusterBrokers, DR, topology, type Topology, type WanLink } from './topology.js';

/** Component name of the Toxiproxy process in the sandbox state. */
export const TOXIPROXY = 'toxiproxy';

/** The Toxiproxy release the sandbox builds (newest v2 tag on the Go module proxy that builds with Go 1.26). */
export const TOXIPROXY_VERSION = '2.12.0';

/** Go package of Toxiproxy's server command. */
const TOXIPROXY_PACKAGE = 'github.com/Shopify/toxiproxy/v2/cmd/server';

/** Upper bounds of the link's settings (an error beyond them names the option). */
export const WAN_LIMITS = { latencyMs: 60_000, jitterMs: 60_000, bandwidthKbps: 100_000_000 } as const;

/** The CLI option behind each field, for error messages. */
const OPTION: Record<keyof WanLink, string> = { latencyMs: '--wan-latency-ms', jitterMs: '--wan-jitter-ms', bandwidthKbps: '--wan-bandwidth-kbps' };

/** A Toxiproxy proxy as its API takes it. */
export interface ToxiproxyProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** A Toxiproxy toxic as its API takes it (`POST /proxies/{proxy}/toxics`). */
export interface ToxicSpec {
  name: string;
  type: 'latency' | 'bandwidth';
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** Prefix of the toxics the sandbox owns on its proxies (others, added by hand, are left alone). */
const TOXIC_PREFIX = 'wan-';

/**
 * Checks a link's settings.
 * @throws InvalidInputError naming the option (`--wan-latency-ms` …) and its allowed range.
 */
export function validateWanLink(link: WanLink): WanLink {
  for (const key of Object.keys(OPTION) as (keyof WanLink)[]) {
    const v = link[key];
    if (v === undefined) continue;
    const min = key === 'bandwidthKbps' ? 8 : 0;
    if (!Number.isSafeInteger(v) || v < min || v > WAN_LIMITS[key]) {
      throw new InvalidInputError(`${OPTION[key]} must be a whole number from ${min} to ${WAN_LIMITS[key]}, got ${String(v)}.`, {
        hint:
          key === 'bandwidthKbps'
            ? 'The bandwidth is in kilobits per second per direction (Toxiproxy counts whole KB/s: 8 kbit/s at least).'
            : 'Times are in ms.',
      });
    }
  }
  if ((link.jitterMs ?? 0) > link.latencyMs) {
    throw new InvalidInputError(`--wan-jitter-ms (${link.jitterMs}) is larger than --wan-latency-ms (${link.latencyMs}).`, {
      hint: 'Jitter is ± around the latency; keep it at most the latency.',
    });
  }
  return link;
}

/**
 * The link `sandbox up` should have, from the one a sandbox already has and what the command gives.
 * @param prev the existing sandbox's link (undefined: none, or a new sandbox).
 * @param given fields to change (unset fields keep `prev`'s), `false` to remove the link, undefined to keep it.
 * @returns the link, or undefined for none.
 * @throws InvalidInputError when jitter or bandwidth is given without a latency and no link exists yet, or a value
 *   is out of range ({@link validateWanLink}).
 */
export function mergeWanLink(prev: WanLink | undefined, given: Partial<WanLink> | false | undefined): WanLink | undefined {
  if (given === false) return undefined;
  const set = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) as Partial<WanLink>;
  if (Object.keys(set).length === 0) return prev;
  const latencyMs = set.latencyMs ?? prev?.latencyMs;
  if (latencyMs === undefined) {
    const named = (Object.keys(set) as (keyof WanLink)[]).map((k) => OPTION[k]).join(', ');
    throw new InvalidInputError(`${named} needs a WAN link, and this sandbox has none.`, {
      hint: 'Add --wan-latency-ms <ms> (the round trip; 0 for a link with no added latency).',
    });
  }
  return validateWanLink({ ...prev, ...set, latencyMs });
}

/**
 * The toxics that make a link: the round trip is split in two, ⌊L/2⌋ ms on upstream (client → dr) and ⌈L/2⌉ ms
 * on downstream (dr → client), jitter likewise, so a request and its response together take L ms more. The
 * bandwidth cap is on both streams: kbit/s ÷ 8 = Toxiproxy's KB/s (rounded, at least 1).
 * Source: Toxiproxy README, "Toxics": latency (`latency`, `jitter`, ms; the delay is latency ± jitter), bandwidth
 * (`rate`, KB/s); "Toxic fields": `stream`, `toxicity` (1.0 = every connection).
 */
export function wanToxics(link: WanLink): ToxicSpec[] {
  const toxics: ToxicSpec[] = [];
  const half = (v: number, s: 'upstream' | 'downstream') => (s === 'upstream' ? Math.floor(v / 2) : Math.ceil(v / 2));
  for (const stream of ['upstream', 'downstream'] as const) {
    const latency = half(link.latencyMs, stream);
    const jitter = half(link.jitterMs ?? 0, stream);
    if (latency > 0 || jitter > 0) {
      toxics.push({ name: `${TOXIC_PREFIX}latency-${stream}`, type: 'latency', stream, toxicity: 1, attributes: { latency, jitter } });
    }
    if (link.bandwidthKbps !== undefined) {
      const rate = Math.max(1, Math.round(link.bandwidthKbps / 8));
      toxics.push({ name: `${TOXIC_PREFIX}bandwidth-${stream}`, type: 'bandwidth', stream, toxicity: 1, attributes: { rate } });
    }
  }
  return toxics;
}

/** One proxy per dr broker: listens on the port the broker advertises, forwards to its PLAINTEXT listener. */
export function toxiproxyProxies(t: Topology): ToxiproxyProxy[] {
  return clusterBrokers(t, DR)
    .filter((n) => n.proxyPort !== undefined)
    .map((n) => ({ name: n.name, listen: `127.0.0.1:${n.proxyPort}`, upstream: `127.0.0.1:${n.port}`, enabled: true }));
}

/** One line for `sandbox status`, e.g. "dr via toxiproxy, 50 ms round trip, ±5 ms jitter, 8000 kbit/s per direction". */
export function describeWanLink(link: WanLink): string {
  return [
    `dr via toxiproxy, ${link.latencyMs} ms round trip`,
    ...(link.jitterMs ? [`±${link.jitterMs} ms jitter`] : []),
    ...(link.bandwidthKbps !== undefined ? [`${link.bandwidthKbps} kbit/s per direction`] : []),
  ].join(', ');
}

/** Toxiproxy's API base URL for a topology with a WAN link. */
export function toxiproxyUrl(t: Topology): string {
  if (t.toxiproxyPort === undefined) throw new Error('this sandbox has no WAN link');
  return `http://127.0.0.1:${t.toxiproxyPort}`;
}

/** Where Go is looked for: `go` on PATH, else `$GOROOT/bin/go`, else `/usr/local/go/bin/go` (the Go tarball's place). */
export function goCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return ['go', ...(env.GOROOT ? [path.join(env.GOROOT, 'bin', 'go')] : []), '/usr/local/go/bin/go'];
}

/**
 * Finds a Go toolchain that runs (`go version`) among {@link goCandidates}.
 * @returns the command to run.
 * @throws PrerequisiteError when none runs, naming --wan-latency-ms and how to install Go.
 */
export async function requireGo(env: NodeJS.ProcessEnv = process.env, candidates: string[] = goCandidates(env)): Promise<string> {
  for (const go of candidates) {
    const r = await execa(go, ['version'], { reject: false, timeout: 60_000, env });
    if (!r.failed) return go;
  }
  throw new PrerequisiteError('The WAN link (--wan-latency-ms) needs Toxiproxy, built once with Go, and Go ("go") was not found.', {
    hint: `Install Go 1.22+ (e.g. "apt-get install golang-go", or the tarball from go.dev into /usr/local/go), or build Toxiproxy ${TOXIPROXY_VERSION} yourself and point KAFKA_FAILOVER_TOXIPROXY at its server binary; or start the sandbox without --wan-latency-ms.`,
  });
}

/**
 * Returns the Toxiproxy server binary, building it with `go install` into `<cache>/toxiproxy-<version>/` on first
 * use (offline afterwards). `KAFKA_FAILOVER_TOXIPROXY` names a server binary to use instead.
 * @param options.env environment: `KAFKA_FAILOVER_CACHE` / `XDG_CACHE_HOME` (cache folder, as jars.ts), `GOPROXY` …
 * @throws PrerequisiteError when Go is missing or the build fails (the message says what to do).
 */
export async function resolveToxiproxy(options: { onProgress?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const env = options.env ?? process.env;
  if (env.KAFKA_FAILOVER_TOXIPROXY) {
    const bin = path.resolve(env.KAFKA_FAILOVER_TOXIPROXY);
    if (!existsSync(bin))
      throw new PrerequisiteError(`KAFKA_FAILOVER_TOXIPROXY names ${bin}, which does not exist.`, {
        hint: 'Point it at a Toxiproxy v2 server binary, or unset it to have the sandbox build one with Go.',
      });
    return bin;
  }
  const dir = path.join(cacheRoot(env), `toxiproxy-${TOXIPROXY_VERSION}`);
  const bin = path.join(dir, 'toxiproxy-server');
  if (existsSync(path.join(dir, 'complete.json')) && existsSync(bin)) return bin;
  const go = await requireGo(env);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `bin.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  options.onProgress?.(`Building Toxiproxy ${TOXIPROXY_VERSION} with Go into ${dir} (once)…`);
  const r = await execa(go, ['install', `${TOXIPROXY_PACKAGE}@v${TOXIPROXY_VERSION}`], {
    reject: false,
    timeout: 20 * 60_000,
    all: true,
    env: { ...env, GOBIN: tmp, CGO_ENABLED: '0' },
  });
  if (r.failed || !existsSync(path.join(tmp, 'server'))) {
    await rm(tmp, { recursive: true, force: true });
    const tail = (r.all ?? '').trim().split('\n').slice(-6).join('\n');
    const network = /dial tcp|no such host|i\/o timeout|connection refused|proxy|TLS handshake/i.test(r.all ?? '');
    throw new PrerequisiteError(`Go could not build Toxiproxy ${TOXIPROXY_VERSION}${network ? ' (the Go module proxy was not reachable)' : ''}.\n${tail}`, {
      hint: network
        ? 'Check network access to the Go module proxy (GOPROXY, proxy settings), then run the command again; or set KAFKA_FAILOVER_TOXIPROXY to a Toxiproxy server binary.'
        : 'Check that the Go toolchain is recent enough (go 1.22+), or set KAFKA_FAILOVER_TOXIPROXY to a Toxiproxy server binary.',
    });
  }
  await rename(path.join(tmp, 'server'), bin);
  await rm(tmp, { recursive: true, force: true });
  await writeFile(path.join(dir, 'complete.json'), JSON.stringify({ version: TOXIPROXY_VERSION, at: new Date().toISOString() }) + '\n');
  return bin;
}

/**
 * One call to Toxiproxy's HTTP API.
 * @throws KafkaFailoverError with the method, path, status and Toxiproxy's message when it answers with an error.
 */
async function api(base: string, method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new KafkaFailoverError(`Toxiproxy ${method} ${route} answered ${res.status}: ${text.trim().slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/**
 * Makes a running Toxiproxy match a link: creates (or, when their addresses differ, replaces) the proxies with
 * POST /populate, removes the sandbox's own toxics and adds those of {@link wanToxics}. Connections already open
 * keep flowing; the new toxics apply to them from the moment they are added.
 * @throws KafkaFailoverError when Toxiproxy refuses a call.
 */
export async function applyWanLink(base: string, t: Topology, link: WanLink): Promise<void> {
  const proxies = toxiproxyProxies(t);
  await api(base, 'POST', '/populate', proxies);
  const wanted = wanToxics(link);
  for (const p of proxies) {
    const existing = (await api(base, 'GET', `/proxies/${encodeURIComponent(p.name)}/toxics`)) as { name: string }[];
    for (const x of existing.filter((x) => x.name.startsWith(TOXIC_PREFIX))) {
      await api(base, 'DELETE', `/proxies/${encodeURIComponent(p.name)}/toxics/${encodeURIComponent(x.name)}`);
    }
    for (const toxic of wanted) await api(base, 'POST', `/proxies/${encodeURIComponent(p.name)}/toxics`, toxic);
  }
}

/**
 * Starts Toxiproxy for a sandbox with a WAN link (API on 127.0.0.1 only), waits until its API answers, and sets up
 * the proxies and toxics. The proxies are also written to `<stateDir>/config/toxiproxy.json` and passed with
 * `-config`, so they exist from the process's first moment. Recorded as {@link TOXIPROXY} in the state.
 * @throws WaitTimeoutError when the API does not answer within 30 s; KafkaFailoverError when it refuses a call.
 */
export async function startToxiproxy(state: SandboxState, bin: string): Promise<void> {
  const o = state.options;
  if (!o.wan) throw new Error('startToxiproxy: this sandbox has no WAN link');
  const t = topology(o);
  const base = toxiproxyUrl(t);
  const cfg = path.join(o.stateDir, 'config', 'toxiproxy.json');
  await mkdir(path.dirname(cfg), { recursive: true });
  await writeFile(cfg, JSON.stringify(toxiproxyProxies(t), null, 2) + '\n');
  state.processes[TOXIPROXY] = spawnDaemon(
    bin,
    ['-host', '127.0.0.1', '-port', String(t.toxiproxyPort), '-config', cfg],
    path.join(o.stateDir, 'toxiproxy.log'),
    // Toxiproxy logs every connection and API call at debug/trace level by default.
    { ...process.env, LOG_LEVEL: 'info' },
  );
  await saveState(state);
  const rec = state.processes[TOXIPROXY];
  await waitFor(
    `Toxiproxy's API to answer on ${base}`,
    async () => {
      if (!isAlive(rec)) throw new Error(`toxiproxy exited; see ${rec?.logFile}`);
      await api(base, 'GET', '/version');
    },
    { timeoutMs: 30_000, intervalMs: 200, hint: `See ${path.join(o.stateDir, 'toxiproxy.log')}.` },
  );
  await applyWanLink(base, t, o.wan);
}

/**
 * Changes the WAN link of a running sandbox at once, without restarting anything (for benchmarks and drills):
 * e.g. `setWanLink(stateDir, { latencyMs: 100 })`. Unset fields keep their values; the new link is saved, so a
 * later `sandbox up` keeps it.
 * @param stateDir the sandbox's state folder.
 * @param link fields to change: `latencyMs` (round trip, ms), `jitterMs` (ms), `bandwidthKbps` (kilobits/s per direction).
 * @returns the link now in force.
 * @throws InvalidInputError when there is no sandbox, it was started without a WAN link, Toxiproxy is not running,
 *   or a value is out of range; KafkaFailoverError when Toxiproxy refuses a call.
 */
export async function setWanLink(stateDir: string, link: Partial<WanLink>): Promise<WanLink> {
  const dir = path.resolve(stateDir);
  const state = await loadState(dir);
  if (!state) throw new InvalidInputError(`No sandbox in ${dir}.`, { hint: 'Start one with "kafka-failover sandbox up --wan-latency-ms <ms>".' });
  if (!state.options.wan)
    throw new InvalidInputError(`The sandbox in ${dir} has no WAN link.`, {
      hint: 'Add one with "kafka-failover sandbox up --wan-latency-ms <ms>" (it restarts dr and MirrorMaker 2 once).',
    });
  if (!isAlive(state.processes[TOXIPROXY]))
    throw new InvalidInputError(`Toxiproxy (the WAN link of the sandbox in ${dir}) is not running.`, {
      hint: 'Run "kafka-failover sandbox up" (or "sandbox start toxiproxy") first.',
    });
  const next = mergeWanLink(state.options.wan, link) as WanLink;
  await applyWanLink(toxiproxyUrl(topology(state.options)), topology(state.options), next);
  state.options = { ...state.options, wan: next };
  await saveState(state);
  return next;
}
