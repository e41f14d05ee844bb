/**
 * Bad environments give one clear message saying what failed and what to do, before anything starts:
 * a port in use (names the port and --port-base), Java missing, Maven / Maven Central unreachable.
 * Uses fake `mvn` / missing `java` on purpose; no Kafka is involved.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, PrerequisiteError } from '../../../src/errors.js';
import { resolveKafkaJars } from '../../../src/rehearsal/sandbox/jars.js';
import { requireJava } from '../../../src/rehearsal/sandbox/prerequisites.js';
import { sandboxUp } from '../../../src/rehearsal/sandbox/sandbox.js';

const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
afterEach(() => {
  process.env.PATH = saved.PATH;
  if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
  else process.env.JAVA_HOME = saved.JAVA_HOME;
});

describe('sandbox up refuses bad environments with a clear message', () => {
  it('names a port already in use and the --port-base option, and starts nothing', async () => {
    const portBase = 23000 + Math.floor(Math.random() * 150) * 20; // below the ephemeral range, clear of the suites' blocks
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(portBase + 12, '127.0.0.1', () => r()));
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-ports-'));
    try {
      const err = await sandboxUp({ stateDir, portBase }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).message).toContain(`${portBase + 12} (wanted by dr-1 (client))`);
      expect((err as InvalidInputError).hint).toContain('--port-base');
    } finally {
      blocker.close();
    }
  });

  it('says Java is missing and how to install it', async () => {
    process.env.JAVA_HOME = '/nonexistent-java-home';
    const err = await requireJava().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).message).toMatch(/Java was not found/);
    expect((err as PrerequisiteError).hint).toMatch(/JAVA_HOME/);
  });

  it('says Maven Central was unreachable when Maven cannot download, and keeps no half-filled cache', async () => {
    const bin = await mkdtemp(path.join(os.tmpdir(), 'kf-fake-mvn-'));
    const mvn = path.join(bin, 'mvn');
    await writeFile(
      mvn,
      '#!/bin/sh\n[ "$1" = "-v" ] && { echo "Apache Maven 3.8.7"; exit 0; }\necho "[ERROR] Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka_2.13:pom:4.1.2 from/to central: repo.maven.apache.org: Temporary failure in name resolution: UnknownHostException"\nexit 1\n',
    );
    await chmod(mvn, 0o755);
    process.env.PATH = `${bin}:${process.env.PATH}`;
    const cache = await mkdtemp(path.join(os.tmpdir(), 'kf-cache-'));
    const err = await resolveKafkaJars('4.1.2', { env: { KAFKA_FAILOVER_CACHE: cache } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).message).toContain('Maven Central was not reachable');
    expect((err as PrerequisiteError).hint).toMatch(/network access to Maven Central/);
    const again = await resolveKafkaJars('4.1.2', { env: { KAFKA_FAILOVER_CACHE: cache } }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(PrerequisiteError); // nothing was marked complete
  });
});
