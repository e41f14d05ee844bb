/**
 * Real Kafka clients for integration tests, from Maven Central jars on the JVM like the brokers: Kafka's own console
 * consumer (`org.apache.kafka.tools.consumer.ConsoleConsumer`, kafka-tools jar), which speaks the classic or the
 * KIP-848 consumer protocol (`group.protocol`), as applications do.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cacheRoot, renderPom } from '../../src/rehearsal/sandbox/jars.js';

/** Kafka's own tools for a Kafka version, resolved with Maven once into the per-user cache; returns the libs folder. */
export async function kafkaToolsLibs(version: string): Promise<string> {
  const dir = path.join(cacheRoot(), `kafka-tools-${version}`);
  const libs = path.join(dir, 'libs');
  if (existsSync(path.join(dir, 'complete.json'))) return libs;
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pom.xml'), renderPom(version, [{ groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version }]));
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
    '-Xms64m',
    '-Xmx192m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:-UsePerfData',
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
