/**
 * Real Kafka clients for integration tests, from Maven Central jars on the JVM like the brokers: Kafka's own console
 * consumer (`org.apache.kafka.tools.consumer.ConsoleConsumer`, kafka-tools jar), which speaks the classic or the
 * KIP-848 consumer protocol (`group.protocol`), as applications do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheRoot, renderPom } from '../../src/rehearsal/sandbox/jars.js';

/** JVM flags of the test clients: small heap start, serial GC, C1 only (fast start on 2 cores), no perf data file. */
const JVM_CLIENT_FLAGS = ['-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData'];

/** Kafka's own tools for a Kafka version, resolved with Maven once into the per-user cache; returns the libs folder. */
export function kafkaToolsLibs(version: string): Promise<string> {
  return mavenLibs(`kafka-tools-${version}`, version, 'kafka-tools');
}

/** Kafka Streams (the library) of a Kafka version, resolved like {@link kafkaToolsLibs}; returns the libs folder. */
export function kafkaStreamsLibs(version: string): Promise<string> {
  return mavenLibs(`kafka-streams-${version}`, version, 'kafka-streams');
}

async function mavenLibs(name: string, version: string, artifactId: string): Promise<string> {
  const dir = path.join(cacheRoot(), name);
  const libs = path.join(dir, 'libs');
  if (existsSync(path.join(dir, 'complete.json'))) return libs;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pom.xml'), renderPom(version, [{ groupId: 'org.apache.kafka', artifactId, version }]));
  const tmpLibs = `${libs}.tmp-${process.pid}`;
  await execa('mvn', ['-B', '-q', '-f', path.join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${tmpLibs}`, '-DincludeScope=runtime'], {
    timeout: 600_000,
  });
  await rm(libs, { recursive: true, force: true });
  await rename(tmpLibs, libs);
  await writeFile(path.join(dir, 'complete.json'), JSON.stringify({ version }));
  return libs;
}

/** What a console consumer does: its group, the protocol it joins with, and when it stops. */
export interface ConsoleConsumerOptions {
  bootstrap: string;
  topic: string;
  group: string;
  /** `consumer` (KIP-848) or `classic`. */
  protocol: 'consumer' | 'classic';
  clientId: string;
  /** Exit after this many records (it commits what it printed on the way out, with auto commit on). */
  maxMessages?: number;
  /** Start from the log start when the group has no committed offset (`auto.offset.reset=earliest`). */
  fromBeginning?: boolean;
  /** Commit automatically (every 1 s, and on close). Off: the member never commits. */
  autoCommit: boolean;
}

/**
 * The `java` argument list of a console consumer printing one record value per line. With auto commit on it polls
 * one record at a time (`max.poll.records=1`), so what it commits on close is exactly what it printed: its output is
 * a ledger of the records the group consumed.
 */
export function consoleConsumerArgs(libs: string, o: ConsoleConsumerOptions): string[] {
  const prop = (kv: string) => ['--consumer-property', kv];
  return [
    ...JVM_CLIENT_FLAGS,
    '-Xmx192m',
    '-cp',
    `${libs}/*`,
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    o.bootstrap,
    '--topic',
    o.topic,
    '--group',
    o.group,
    ...prop(`group.protocol=${o.protocol}`),
    ...prop(`client.id=${o.clientId}`),
    ...prop(`enable.auto.commit=${o.autoCommit}`),
    ...(o.autoCommit ? [...prop('auto.commit.interval.ms=1000'), ...prop('max.poll.records=1')] : []),
    ...(o.fromBeginning ? ['--from-beginning'] : []),
    ...(o.maxMessages !== undefined ? ['--max-messages', String(o.maxMessages)] : []),
  ];
}

/** The `java` argument list of a console share consumer (KIP-932) printing one record value per line. */
export function consoleShareConsumerArgs(
  libs: string,
  o: { bootstrap: string; topic: string; group: string; clientId: string; maxMessages?: number },
): string[] {
  const prop = (kv: string) => ['--command-property', kv];
  return [
    ...JVM_CLIENT_FLAGS,
    '-Xmx192m',
    '-cp',
    `${libs}/*`,
    'org.apache.kafka.tools.consumer.ConsoleShareConsumer',
    '--bootstrap-server',
    o.bootstrap,
    '--topic',
    o.topic,
    '--group',
    o.group,
    ...prop(`client.id=${o.clientId}`),
    ...prop('max.poll.records=1'),
    ...(o.maxMessages !== undefined ? ['--max-messages', String(o.maxMessages)] : []),
  ];
}

/** The `java` argument list of Kafka's share-group tool resetting a group to the earliest offsets of a topic. */
export function shareGroupResetToEarliestArgs(libs: string, o: { bootstrap: string; topic: string; group: string }): string[] {
  return [
    '-cp',
    `${libs}/*`,
    'org.apache.kafka.tools.consumer.group.ShareGroupCommand',
    '--bootstrap-server',
    o.bootstrap,
    '--reset-offsets',
    '--to-earliest',
    '--group',
    o.group,
    '--topic',
    o.topic,
    '--execute',
  ];
}

/** The `java` argument list of test/integration/jvm/SequenceStreamsApp.java (a real Kafka Streams application). */
export function sequenceStreamsAppArgs(
  libs: string,
  o: { bootstrap: string; applicationId: string; input: string; output: string; protocol: 'classic' | 'streams'; stateDir: string },
): string[] {
  return [
    ...JVM_CLIENT_FLAGS,
    '-Xmx256m',
    '-cp',
    `${libs}/*`,
    path.resolve('test/integration/jvm/SequenceStreamsApp.java'),
    o.bootstrap,
    o.applicationId,
    o.input,
    o.output,
    o.protocol,
    o.stateDir,
  ];
}

/**
 * Shell lines that start `java <args>` in the background (the hook returns at once), its output in `<dir>/<name>.out`
 * and `.err`, its PID in `<dir>/<name>.pid` (see {@link printedLines}, {@link killBackground}).
 */
export function backgroundJava(dir: string, name: string, args: string[]): string {
  const quoted = ['java', ...args].map((a) => `'${a}'`).join(' ');
  const f = path.join(dir, name);
  return `nohup ${quoted} > '${f}.out' 2> '${f}.err' < /dev/null &\necho $! > '${f}.pid'`;
}

/** Lines starting with `r-` (record values) printed so far by a client started with {@link backgroundJava}. */
export function printedLines(dir: string, name: string): string[] {
  const f = path.join(dir, `${name}.out`);
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('r-'))
    : [];
}

/** SIGKILLs the clients started with {@link backgroundJava} (those that are gone already are skipped). */
export function killBackground(dir: string | undefined, names: readonly string[]): void {
  for (const name of names) {
    const pidFile = path.join(dir ?? '', `${name}.pid`);
    if (!dir || !existsSync(pidFile)) continue;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The shipped planned failover runbook with the sandbox traffic generator's hooks replaced for tests whose clients
 * run on the JVM: nothing produces while the groups move and the groups on primary have already stopped (freeze and
 * stop-consumers do nothing), and `redirect` runs `redirectLines` (e.g. {@link backgroundJava}) as a shell script.
 * Returns the runbook's path in `dir`.
 * @throws Error when the shipped runbook no longer has the three hooks this replaces.
 */
export async function plannedFailoverWithRedirect(dir: string, redirectLines: string[]): Promise<string> {
  const script = path.join(dir, 'redirect.sh');
  await writeFile(script, `#!/bin/sh\nset -e\n${redirectLines.join('\n')}\n`);
  const src = await readFile('runbooks/planned-failover.yaml', 'utf8');
  const hook = (action: string) => `["\${tool.argv}", sandbox, traffic-ctl, ${action}, --state-dir, "\${params.stateDir}"]`;
  const out = src.replace(hook('freeze'), '["true"]').replace(hook('stop-consumers'), '["true"]').replace(hook('redirect'), `["sh", "${script}"]`);
  if (out.includes('traffic-ctl')) throw new Error('runbooks/planned-failover.yaml changed: a traffic-ctl hook was not replaced');
  const file = path.join(dir, 'planned-failover-jvm-clients.yaml');
  await writeFile(file, out);
  return file;
}
