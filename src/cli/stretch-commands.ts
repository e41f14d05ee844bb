/**
 * The stretch sandbox's CLI (`sandbox up --topology stretch`, `sandbox kill-site` / `start-site`), added to the
 * `sandbox` command group by sandbox-commands.ts. Library: src/rehearsal/sandbox/stretch.ts.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import type { Traffic, TrafficGroup } from '../rehearsal/traffic/generator.js';
import {
  clientBootstrapFile,
  killSite,
  redirectClients,
  startSite,
  stretchPeakRss,
  stretchStatusOf,
  stretchUp,
  type StretchStatus,
} from '../rehearsal/sandbox/stretch.js';
import { loadState } from '../rehearsal/sandbox/state.js';
import { oneOf } from './parse.js';
import { table } from './table.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Prints a stretch sandbox's status (table or JSON). */
export function printStretchStatus(s: StretchStatus, output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  const t = table(['component', 'site', 'node', 'roles', 'address', 'running', 'pid']);
  for (const n of s.nodes)
    t.push([
      n.name,
      n.site,
      n.nodeId,
      n.roles,
      n.port !== undefined ? `127.0.0.1:${n.port}` : `127.0.0.1:${n.controllerPort} (controller)`,
      n.running ? 'yes' : 'no',
      n.pid ?? '',
    ]);
  process.stdout.write(
    `Kafka ${s.kafkaVersion} stretch sandbox in ${s.stateDir} (quorum ${s.stretch.quorum}, voters ${s.voters.join(', ')}; RF ${s.replicationFactor}, min.insync.replicas ${s.minInsyncReplicas})\n` +
      `${t.toString()}\nClusters file: ${s.clustersFile} (cluster stretch)\n` +
      `Steps' controllerSites input: ${s.controllerSites || '(none: every voter is also a broker)'}\n`,
  );
}

/** The options `sandbox up` adds for the stretch topology. */
export function addStretchUpOptions(up: Command): Command {
  return up
    .option(
      '--topology <kind>',
      'two-clusters (primary, dr and MM2 primary → dr; default), active-active (the same with MM2 dr → primary running too), stretch (one cluster over sites a and b, no MM2), hub-spoke (a hub and spokes, MM2 both ways between the hub and each spoke) or aggregate (regions r1, r2 replicated into aggregates agg1 and agg2)',
      oneOf('two-clusters', 'active-active', 'stretch', 'hub-spoke', 'aggregate'),
    )
    .option('--spokes <n>', 'hub-spoke: spokes spoke1 … spokeN: 3 (default) or 2', (v) => Number(oneOf('2', '3')(v)) as 2 | 3)
    .option(
      '--stretch-quorum <placement>',
      'stretch: three-sites (a voter per site, tie-breaker in c; default) or one-site (two voters in a: the anti-pattern)',
      oneOf('three-sites', 'one-site'),
    )
    .option(
      '--brokers-per-site <n>',
      'stretch: brokers in each of sites a and b: 2 (RF 4, min ISR 3; default) or 1 (RF 2, min ISR 2)',
      (v) => Number(oneOf('1', '2')(v)) as 1 | 2,
    );
}

/** `sandbox up --topology stretch`. */
export async function stretchUpAction(o: Record<string, unknown>): Promise<void> {
  for (const opt of ['brokers', 'drBrokers', 'mm2Mode', 'offsetLagMax', 'syncGroupOffsets', 'wanLatencyMs', 'wanJitterMs', 'wanBandwidthKbps'])
    if (o[opt] !== undefined)
      throw new InvalidInputError(`--${opt.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to --topology stretch.`, {
        hint: 'A stretch sandbox takes --stretch-quorum, --brokers-per-site, --kafka-version, --port-base and --state-dir.',
      });
  const status = await stretchUp(
    {
      stateDir: String(o.stateDir),
      ...(o.portBase !== undefined ? { portBase: o.portBase as number } : {}),
      ...(o.kafkaVersion !== undefined ? { kafkaVersion: String(o.kafkaVersion) } : {}),
      ...(o.stretchQuorum !== undefined ? { quorum: o.stretchQuorum as 'three-sites' | 'one-site' } : {}),
      ...(o.brokersPerSite !== undefined ? { brokersPerSite: o.brokersPerSite as 1 | 2 } : {}),
    },
    say,
  );
  printStretchStatus(status, o.output === 'json' ? 'json' : 'table');
}

/** Status of the sandbox in `stateDir` when it is a stretch one (else undefined: the caller prints the usual one). */
export async function stretchStatusIfAny(stateDir: string): Promise<StretchStatus | undefined> {
  const state = await loadState(stateDir);
  return state?.stretch ? stretchStatusOf(state) : undefined;
}

/** Adds `sandbox kill-site <site>`, `sandbox start-site <site>` and `sandbox rss`. */
export function registerStretchCommands(sandbox: Command, stateDirOption: readonly [string, string, string]): void {
  sandbox
    .command('kill-site <site>')
    .description('stretch sandbox: site loss — kill -9 every broker and controller of site a, b or c at once')
    .option(...stateDirOption)
    .action(async (site: string, o) => {
      const done = await killSite(o.stateDir, site);
      say(done.length ? `Killed ${done.join(', ')}` : `site ${site}: nothing was running`);
    });
  sandbox
    .command('start-site <site>')
    .description("stretch sandbox: start a site's stopped processes and wait until its brokers are registered")
    .option(...stateDirOption)
    .action(async (site: string, o) => {
      const done = await startSite(o.stateDir, site, say);
      say(done.length ? `Started ${done.join(', ')}` : `site ${site}: already running`);
    });
  sandbox
    .command('redirect-site <site>')
    .description("stretch sandbox: point the sandbox's clients at one site's brokers (a, b, a,b or all): writes client-bootstrap.json")
    .option(...stateDirOption)
    .action(async (site: string, o) => {
      const list = await redirectClients(o.stateDir, site);
      say(`Clients' bootstrap: ${list.join(',')}`);
    });
  sandbox
    .command('rss')
    .description('stretch sandbox: peak resident memory (VmHWM) of each running node, in MiB')
    .option(...stateDirOption)
    .action(async (o) => {
      const rss = await stretchPeakRss(o.stateDir);
      for (const [name, bytes] of Object.entries(rss)) process.stdout.write(`${name}\t${Math.round(bytes / 1048576)} MiB\n`);
    });
}

/**
 * Makes a `sandbox traffic` generator on a stretch sandbox follow `sandbox redirect-site` as real clients follow a
 * DNS record: whenever client-bootstrap.json is rewritten, the producer moves to the brokers it names (same
 * sequences; a frozen producer moves and stays frozen) and each group's member rejoins through them. `serialize` runs
 * other work on the generator (traffic-ctl commands) in the same queue, so a `freeze` never interleaves with a move
 * that would restart the producer. `stop` stops following.
 */
export function followStretchRedirect(
  stateDir: string,
  traffic: Traffic,
  groups: TrafficGroup[],
): { stop: () => void; serialize: <T>(work: () => Promise<T>) => Promise<T> } {
  const file = clientBootstrapFile(stateDir);
  let chain: Promise<void> = Promise.resolve();
  let lastAt: string | undefined;
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as { site: string; bootstrapServers: string[]; at: string };
    } catch {
      return undefined; // absent (no redirect yet) or being rewritten: the next change is seen
    }
  };
  lastAt = read()?.at;
  watchFile(file, { interval: 250 }, () => {
    const r = read();
    if (!r || r.at === lastAt) return;
    lastAt = r.at;
    chain = chain
      .then(async () => {
        await traffic.moveProducer(r.bootstrapServers, { produce: traffic.producing });
        const running = traffic.runningGroups();
        for (const g of running) await traffic.stopGroup(g);
        for (const g of groups.filter((x) => running.includes(x.groupId))) await traffic.startGroup(g, r.bootstrapServers);
        say(`traffic: clients follow the redirect to site ${r.site} (${r.bootstrapServers.join(',')})`);
      })
      .catch((e: Error) => {
        say(`traffic: following the redirect to site ${r.site} failed: ${e.message}`);
      });
  });
  return {
    stop: () => unwatchFile(file),
    serialize: <T>(work: () => Promise<T>) => {
      const done = chain.then(work);
      chain = done.then(
        () => undefined,
        () => undefined,
      );
      return done;
    },
  };
}
