/**
 * `kafka-failover sandbox …`: up, down, status, and the fault controls stop / kill / start.
 */
import { table } from './table.js';
import type { Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { failbackClustersFilePath } from '../rehearsal/sandbox/clusters-file.js';
import { CLUSTERS_ENV } from './clusters-options.js';
import { type MovableTraffic, TRAFFIC_ACTIONS, sendTrafficCommand, serveTrafficControl } from '../rehearsal/traffic/control.js';
import { startActiveActiveTraffic } from '../rehearsal/traffic/active-active.js';
import { DEFAULT_TRAFFIC_GROUPS, DEFAULT_TRAFFIC_TOPICS, startTraffic, type TrafficTopic } from '../rehearsal/traffic/generator.js';
import { sandboxDown, sandboxStatus, sandboxUp, startComponents, stopComponents, type SandboxStatus } from '../rehearsal/sandbox/sandbox.js';
import { defaultStateDir } from '../rehearsal/sandbox/topology.js';
import { clientPropertiesPath, propertiesClustersFilePath } from '../rehearsal/sandbox/clusters-file.js';
import { APP_USER, kafkajsSecurity, SANDBOX_SECURITY, TOOL_USER, unsecuredToken } from '../rehearsal/sandbox/security.js';
import { WAN_LIMITS } from '../rehearsal/sandbox/wan.js';
import { intIn, oneOf } from './parse.js';
import { multiClusterStatusIfAny, multiClusterTrafficIfAny, multiClusterUpAction, printMultiClusterStatus } from './hub-spoke-commands.js';
import {
  addStretchUpOptions,
  followStretchRedirect,
  printStretchStatus,
  registerStretchCommands,
  stretchStatusIfAny,
  stretchUpAction,
} from './stretch-commands.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

function printStatus(s: SandboxStatus, output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  const t = table(['component', 'cluster', 'address', 'running', 'pid']);
  for (const [alias, c] of Object.entries(s.clusters)) {
    for (const b of c.brokers) {
      const address = b.proxyPort !== undefined ? `127.0.0.1:${b.proxyPort} (toxiproxy) → :${b.port}` : `127.0.0.1:${b.port}`;
      t.push([b.name, alias, address, b.running ? 'yes' : 'no', b.pid ?? '']);
    }
    for (const b of c.controllers) t.push([b.name, `${alias} (controller)`, `127.0.0.1:${b.controllerPort}`, b.running ? 'yes' : 'no', b.pid ?? '']);
  }
  t.push([`mm2 ${s.mm2.version}`, `primary → dr (${s.mm2.mode})`, s.mm2.restUrl ?? '', s.mm2.running ? 'yes' : 'no', s.mm2.pid ?? '']);
  if (s.options.activeActive || s.mm2Reverse.running)
    t.push(['mm2-reverse', 'dr → primary (dedicated)', '', s.mm2Reverse.running ? 'yes' : 'no', s.mm2Reverse.pid ?? '']);
  if (s.wan) t.push([`toxiproxy ${s.wan.version}`, 'dr (WAN link)', s.wan.apiUrl, s.wan.running ? 'yes' : 'no', s.wan.pid ?? '']);
  const secured = s.options.security && s.options.security !== 'plaintext';
  const rel = path.relative(process.cwd(), s.clustersFile) || s.clustersFile;
  const relBack = path.relative(process.cwd(), failbackClustersFilePath(s.stateDir));
  process.stdout.write(
    `Kafka ${s.kafkaVersion} sandbox in ${s.stateDir}\n${t.toString()}\n` +
      (s.wan ? `wan: ${s.wan.summary}${s.wan.running ? '' : ' (toxiproxy is not running: dr is unreachable; run "sandbox up")'}\n` : '') +
      `Clusters file: ${s.clustersFile}\n` +
      (secured
        ? `security: ${s.options.security} (the tool's principal User:${TOOL_USER}); the same as a client properties file: ${propertiesClustersFilePath(s.stateDir)} (${clientPropertiesPath(s.stateDir)})\n`
        : '') +
      `Use it: --clusters ${rel} (or export ${CLUSTERS_ENV}=${rel}); a failback: --clusters ${relBack}\n`,
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Adds the `sandbox` command group. */
export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command('sandbox').description('a real two-cluster Kafka + MirrorMaker 2 sandbox on this machine (JVM, no Docker)');
  const stateDirOption = ['--state-dir <dir>', 'sandbox state folder (env KAFKA_FAILOVER_SANDBOX_DIR)', defaultStateDir()] as const;

  addStretchUpOptions(sandbox.command('up'))
    .description('start (or recover) clusters primary and dr and MirrorMaker 2 primary → dr; waits until a probe record crosses')
    .option(
      '--kafka-version <version>',
      'Kafka version of brokers and MM2 (default 4.4.0, with MM2 4.3.1: connect-mirror 4.4.0 is not served by Maven Central here; 4.1.x and 3.9.x also work)',
    )
    .option('--brokers <n>', 'brokers in the primary cluster: 1 or 3', (v) => Number(oneOf('1', '3')(v)) as 1 | 3)
    .option('--dr-brokers <n>', 'brokers in the dr cluster: 1 or 3', (v) => Number(oneOf('1', '3')(v)) as 1 | 3)
    .option('--mm2-mode <mode>', 'dedicated MirrorMaker 2, or connect (Kafka Connect REST)', oneOf('dedicated', 'connect'))
    .option('--offset-lag-max <records>', "MM2 offset.lag.max (default 100, MM2's default)", intIn(0, 1_000_000))
    .option('--sync-group-offsets', 'turn on MM2 sync.group.offsets.enabled (off by default)')
    .option(
      '--replication-policy <policy>',
      'MM2 replication policy: default (remote topic primary.orders) or identity (IdentityReplicationPolicy: remote topic orders); needs a fresh sandbox to change',
      oneOf('default', 'identity'),
    )
    .option(
      '--port-base <port>',
      'first port of the block the sandbox uses (default 19090; keep it below 32700, the OS lends higher ports to outgoing connections)',
      intIn(1024, 65000),
    )
    .option(
      '--wan-latency-ms <ms>',
      'put a simulated WAN link (Toxiproxy, built with Go once) between every client and dr, adding this round trip in ms (half each way); kept by later "up"s; on a running sandbox it changes the latency at once',
      intIn(0, WAN_LIMITS.latencyMs),
    )
    .option('--wan-jitter-ms <ms>', 'WAN link: round-trip jitter in ms (± around the latency)', intIn(0, WAN_LIMITS.jitterMs))
    .option(
      '--wan-bandwidth-kbps <kbit/s>',
      'WAN link: bandwidth cap per direction in kilobits per second (Toxiproxy counts KB/s: kbit/s ÷ 8)',
      intIn(8, WAN_LIMITS.bandwidthKbps),
    )
    .option('--no-wan', 'remove the WAN link (restarts dr and MirrorMaker 2 once)')
    .option(
      '--security <profile>',
      'client listeners: plaintext (default), sasl-ssl (SCRAM/PLAIN/OAUTHBEARER over TLS), mtls (TLS client certificates) or sasl-plaintext; a CA, certificates and users are made under <state-dir>/security, the authorizer is on (super users: brokers and MM2); not with a WAN link',
      oneOf(...SANDBOX_SECURITY),
    )
    .option(...stateDirOption)
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      if (o.topology === 'stretch') return stretchUpAction(o);
      if (o.topology === 'hub-spoke' || o.topology === 'aggregate') return multiClusterUpAction(o);
      if (o.spokes !== undefined) throw new InvalidInputError('--spokes applies to --topology hub-spoke only.', { hint: 'Add --topology hub-spoke.' });
      if (o.wan === false && (o.wanLatencyMs !== undefined || o.wanJitterMs !== undefined || o.wanBandwidthKbps !== undefined))
        throw new InvalidInputError('--no-wan cannot be combined with --wan-latency-ms, --wan-jitter-ms or --wan-bandwidth-kbps.', {
          hint: 'Give either --no-wan (remove the link) or the --wan-* options (add or change it).',
        });
      const status = await sandboxUp(
        {
          kafkaVersion: o.kafkaVersion,
          primaryBrokers: o.brokers,
          drBrokers: o.drBrokers,
          mm2Mode: o.mm2Mode,
          offsetLagMax: o.offsetLagMax,
          syncGroupOffsets: o.syncGroupOffsets,
          replicationPolicy: o.replicationPolicy,
          portBase: o.portBase,
          stateDir: o.stateDir,
          security: o.security,
          ...(o.topology === 'active-active' ? { activeActive: true } : {}),
          wan: o.wan === false ? false : { latencyMs: o.wanLatencyMs, jitterMs: o.wanJitterMs, bandwidthKbps: o.wanBandwidthKbps },
        },
        say,
      );
      printStatus(status, o.output);
    });

  sandbox
    .command('down')
    .description('stop every process the sandbox started (checked by PID and start time); idempotent')
    .option('--wipe', 'also delete data, logs and configs')
    .option(...stateDirOption)
    .action(async (o) => {
      const stopped = await sandboxDown({ stateDir: o.stateDir, wipe: Boolean(o.wipe) });
      say(stopped.length ? `Stopped ${stopped.join(', ')}` : 'Nothing was running');
      if (o.wipe) say(`Deleted ${o.stateDir}`);
    });

  sandbox
    .command('status')
    .description('what runs, where, which versions')
    .option(...stateDirOption)
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      const stretch = await stretchStatusIfAny(o.stateDir);
      const multi = stretch ? undefined : await multiClusterStatusIfAny(o.stateDir);
      if (stretch) printStretchStatus(stretch, o.output);
      else if (multi) printMultiClusterStatus(multi, o.output);
      else printStatus(await sandboxStatus(o.stateDir), o.output);
    });
  registerStretchCommands(sandbox, stateDirOption);

  for (const [verb, mode, what] of [
    ['stop', 'graceful', 'stop (SIGTERM)'],
    ['kill', 'kill', 'kill -9 (a crash)'],
  ] as const) {
    sandbox
      .command(`${verb} <target>`)
      .description(`fault control: ${what} a node (primary-2), a cluster (primary, dr), mm2 or toxiproxy (cuts the WAN link to dr)`)
      .option(...stateDirOption)
      .action(async (target: string, o) => {
        const done = await stopComponents(o.stateDir, target, mode);
        say(done.length ? `${verb === 'kill' ? 'Killed' : 'Stopped'} ${done.join(', ')}` : `${target}: nothing was running`);
      });
  }

  sandbox
    .command('start <target>')
    .description('fault control: start a stopped node, cluster or mm2 and wait until it serves')
    .option(...stateDirOption)
    .action(async (target: string, o) => {
      const done = await startComponents(o.stateDir, target, say);
      say(done.length ? `Started ${done.join(', ')}` : `${target}: already running`);
    });

  sandbox
    .command('traffic')
    .description(
      'produce sequenced records to primary (a stretch sandbox: its cluster, following `sandbox redirect-site`) and run consumer groups that commit as they go; Ctrl-C stops and prints the delivery report',
    )
    .option('--rate <records/s>', 'records per second over all partitions', intIn(0, 100_000), 50)
    .option('--topics <list>', 'topics as name:partitions, comma-separated', 'orders:6,payments:3')
    .option('--groups <list>', 'consumer groups as name[:delayMs] (comma-separated; "none" for none)', DEFAULT_TRAFFIC_GROUPS.map((g) => g.groupId).join(','))
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)', intIn(1, 86_400))
    .option('--report <file>', 'write the delivery report (JSON) here when stopping')
    .option(...stateDirOption)
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      // A stretch sandbox has one cluster and no MM2: its clients follow the redirect file instead of moving to dr.
      const stretch = await stretchStatusIfAny(path.resolve(String(o.stateDir)));
      const status = stretch ? undefined : await sandboxStatus(o.stateDir);
      const topics: TrafficTopic[] = String(o.topics)
        .split(',')
        .map((spec) => {
          const [name, parts] = spec.split(':');
          if (!name)
            throw new InvalidInputError(`--topics: empty topic name in "${spec}".`, { hint: 'Write topics as name:partitions, e.g. orders:6,payments:3.' });
          return { name, partitions: parts ? intIn(1, 1000)(parts) : (DEFAULT_TRAFFIC_TOPICS.find((t) => t.name === name)?.partitions ?? 1) };
        });
      const specs = o.groups === 'none' ? [] : String(o.groups).split(',').filter(Boolean);
      const groups = specs.map((spec) => {
        const [groupId = '', delay] = spec.split(':');
        const known = DEFAULT_TRAFFIC_GROUPS.find((g) => g.groupId === groupId);
        return {
          groupId,
          topics: known?.topics ?? topics.map((t) => t.name),
          ...(delay ? { delayMs: intIn(0, 60_000)(delay) } : known?.delayMs ? { delayMs: known.delayMs } : {}),
        };
      });
      const names = groups.map((g) => g.groupId);
      // A secured sandbox: the applications' principal User:app (never the tool's least-privilege one).
      const clientExtra =
        status?.options.security && status.options.security !== 'plaintext'
          ? ((await kafkajsSecurity(status.options.security, status.stateDir, APP_USER)) as NonNullable<Parameters<typeof startTraffic>[0]['clientExtra']>)
          : undefined;
      // Active-active: a producer on each cluster, the groups on primary reading both origins (traffic/active-active.ts).
      // Hub and spoke: a producer on every cluster, the groups on spoke1; aggregate: producers on r1 and r2, the groups on
      // agg1 (cli/hub-spoke-commands.ts).
      const multi = stretch ? undefined : await multiClusterTrafficIfAny(o.stateDir, { topics, ratePerSecond: o.rate, groups });
      const aa: MovableTraffic | undefined =
        multi?.traffic ??
        (status?.options.activeActive
          ? await startActiveActiveTraffic({
              sites: [
                { alias: 'primary', bootstrapServers: status.clusters.primary.bootstrapServers },
                { alias: 'dr', bootstrapServers: status.clusters.dr.bootstrapServers },
              ],
              topics,
              ratePerSecond: o.rate,
              groups,
              ...(clientExtra ? { clientExtra } : {}),
            })
          : undefined);
      const traffic =
        aa?.home ??
        (await startTraffic({
          bootstrapServers: stretch ? stretch.bootstrapServers : status!.clusters.primary.bootstrapServers,
          topics,
          ratePerSecond: o.rate,
          groups,
          ...(clientExtra ? { clientExtra } : {}),
        }));
      say(
        `Traffic run ${traffic.ledger.run}: ${o.rate} records/s to ${topics.map((t) => `${t.name}(${t.partitions})`).join(', ')} on ${stretch ? 'the stretch cluster' : multi ? multi.where : aa ? 'primary and on dr (active-active)' : 'primary'}; groups ${names.join(', ') || 'none'}`,
      );
      const follower = stretch ? followStretchRedirect(stretch.stateDir, traffic, groups) : undefined;
      const report = () => ({
        run: traffic.ledger.run,
        produced: traffic.ledger.producedTotal(),
        sendFailures: traffic.sendFailures,
        // Per partition too (skipped sequence ranges): drills and tests compare them with what reached the target.
        groups: traffic.ledger.deliveryReport(names).map((g) => ({ ...g, consumed: traffic.ledger.consumedTotal(g.groupId) })),
        producedByPartition: Object.fromEntries(traffic.ledger.producedCounts()),
        // After `mark-fault`: per topic, the first acknowledged write sent after it (a drill's RTO per topic).
        faultMarkedAt: traffic.ledger.faultMarkedAt(),
        writesAfterFault: traffic.ledger.writesAfterFault(),
      });
      const stopControl = serveTrafficControl(o.stateDir, async (action) => (follower ? follower.serialize(() => act(action)) : act(action)));
      async function act(action: (typeof TRAFFIC_ACTIONS)[number]) {
        if (stretch && ['redirect', 'produce-on-dr', 'failback'].includes(action))
          throw new InvalidInputError(`"${action}" does not apply to a stretch sandbox (one cluster, no dr).`, {
            hint: 'Its clients follow `sandbox redirect-site` by themselves.',
          });
        if (action === 'mark-fault') traffic.ledger.markFault(Date.now());
        else if (aa) await aa.handle(action);
        else if (action === 'freeze') await traffic.stopProducing();
        else if (action === 'stop-consumers') for (const g of names) await traffic.stopGroup(g);
        else if (action === 'redirect') {
          // Consumers to dr: the replicated topic (primary.orders) and, once written there, dr's own (orders).
          for (const g of names) await traffic.stopGroup(g);
          for (const g of groups)
            await traffic.startGroup(
              { ...g, topics: g.topics.map((t) => `primary.${t}`), subscribe: g.topics.map((t) => new RegExp(`^(primary\\.)?${escapeRegExp(t)}$`)) },
              status!.clusters.dr.bootstrapServers,
            );
        } else if (action === 'produce-on-dr') {
          await traffic.moveProducer(status!.clusters.dr.bootstrapServers);
          // kafkajs resolves a pattern subscription once: rejoin so the groups also read the topics just created on dr.
          const onDr = traffic.runningGroups();
          for (const g of onDr) await traffic.stopGroup(g);
          for (const g of groups.filter((x) => onDr.includes(x.groupId)))
            await traffic.startGroup(
              { ...g, topics: g.topics.map((t) => `primary.${t}`), subscribe: g.topics.map((t) => new RegExp(`^(primary\\.)?${escapeRegExp(t)}$`)) },
              status!.clusters.dr.bootstrapServers,
            );
        } else if (action === 'failback') {
          // Back to primary: the original topic and what dr wrote meanwhile, replicated back as dr.orders.
          for (const g of names) await traffic.stopGroup(g);
          for (const g of groups)
            await traffic.startGroup(
              { ...g, subscribe: g.topics.map((t) => new RegExp(`^(dr\\.)?${escapeRegExp(t)}$`)) },
              status!.clusters.primary.bootstrapServers,
            );
          await traffic.moveProducer(status!.clusters.primary.bootstrapServers);
        }
        say(`traffic: ${action} done`);
        return report();
      }
      const ticker = setInterval(() => {
        const s = traffic.stats();
        say(
          `produced ${s.produced} (send failures ${s.sendFailures})  consumed ${Object.entries(s.consumed)
            .map(([g, n]) => `${g}=${n}`)
            .join(' ')}`,
        );
      }, 5000);
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        if (o.duration) setTimeout(done, o.duration * 1000).unref();
      });
      clearInterval(ticker);
      stopControl();
      follower?.stop();
      await (aa ?? traffic).stop();
      const r = report();
      if (o.report) writeFileSync(o.report, JSON.stringify(r, null, 2) + '\n');
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify(r) + '\n');
      } else {
        const t = table(['group', 'consumed', 'not consumed (yet)', 'duplicates']);
        for (const g of r.groups) t.push([g.groupId, g.consumed, g.skipped, g.duplicates]);
        process.stdout.write(`Produced ${r.produced} records (run ${r.run})\n${t.toString()}\n`);
      }
      // Clients of a cluster that died (a killed primary) keep reconnecting in the background and would hold the
      // process open after its report: leave once the output is flushed.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
    });

  sandbox
    .command('token')
    .description(
      "print an unsecured OAUTHBEARER test token (JWS alg none) that a secured sandbox's brokers accept: a tokenCommand for rehearsals (never for real clusters)",
    )
    .option('--subject <principal>', 'the token subject (sub): the principal it authenticates as', TOOL_USER)
    .option('--lifetime-seconds <s>', 'validity from now in seconds; 0 prints an already expired token', intIn(0, 86_400), 3600)
    .action((o) => {
      process.stdout.write(`${unsecuredToken(o.subject, o.lifetimeSeconds * 1000)}\n`);
    });

  sandbox
    .command('traffic-ctl <action>')
    .description(
      `command the running traffic process: ${TRAFFIC_ACTIONS.join(' | ')} (mark-fault = a fault happened now: keep per topic the first acknowledged write after it; freeze = stop producers (aggregate: nothing, its producers stay on the regions); redirect = move consumer groups to dr (aggregate: to the other aggregate); produce-on-dr = producers write to dr; failback = groups and producers back to primary)`,
    )
    .option(...stateDirOption)
    .action(async (action: string, o) => {
      if (!(TRAFFIC_ACTIONS as string[]).includes(action))
        throw new InvalidInputError(`Unknown traffic action "${action}".`, { hint: `Use one of: ${TRAFFIC_ACTIONS.join(', ')}.` });
      const r = await sendTrafficCommand(o.stateDir, action as (typeof TRAFFIC_ACTIONS)[number]);
      process.stdout.write(JSON.stringify(r) + '\n');
    });
}
