/**
 * Resolves the Kafka and MirrorMaker 2 jars with Maven into a per-user cache: one download per Kafka version,
 * offline afterwards (a completed version is never resolved again).
 *
 * Layout: `<cache>/kafka-<version>/{pom.xml, libs/*.jar, complete.json}`. `complete.json` is written last, after
 * the jars were copied into a temporary folder and renamed into place, so a killed download never looks complete.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { PrerequisiteError } from '../../errors.js';
import { requireMaven } from './prerequisites.js';
import { sandboxArtifacts, type MavenArtifact } from './versions.js';

/** `maven-dependency-plugin` is pinned: Maven 3.8.7 otherwise picks an old default (kafka-on-the-jvm.md). */
const DEPENDENCY_PLUGIN = '3.6.1';

/**
 * The per-user cache folder: `$KAFKA_FAILOVER_CACHE`, else `$XDG_CACHE_HOME/kafka-failover`, else
 * `~/.cache/kafka-failover`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KAFKA_FAILOVER_CACHE) return path.resolve(env.KAFKA_FAILOVER_CACHE);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'kafka-failover');
}

/** Renders the `pom.xml` (packaging `pom`) whose runtime dependencies are the sandbox's classpath. */
export function renderPom(version: string, artifacts: MavenArtifact[] = sandboxArtifacts(version)): string {
  const deps = artifacts
    .map((a) => `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by kafka-failover: the classpath of the Kafka ${version} sandbox. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.github.kafka-failover</groupId>
  <artifactId>sandbox-kafka</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>${DEPENDENCY_PLUGIN}</version>
  </plugin></plugins></build>
</project>
`;
}

/** Where one version's jars live, and whether they are complete. */
export interface KafkaJars {
  version: string;
  /** Folder with the jars; use `<libs>/*` as the classpath. */
  libs: string;
  /** True when this call downloaded them (false: served from the cache). */
  downloaded: boolean;
}

/** Words in Maven's output that mean the repository could not be reached (as opposed to a bad coordinate). */
const NETWORK_SIGNS = /Could not transfer|UnknownHost|Connection refused|connect timed out|Network is unreachable|Could not resolve dependencies/i;

/**
 * Returns the jars of a Kafka version, downloading them with Maven on first use.
 * @param version Kafka version, e.g. `4.1.2`.
 * @param options.onProgress called with one line when a download starts.
 * @param options.env environment: `KAFKA_FAILOVER_CACHE` (cache folder), `KAFKA_FAILOVER_MAVEN_REPO` (a Maven local
 *   repository other than ~/.m2, e.g. to measure a first-ever download).
 * @throws PrerequisiteError when Maven is missing or Maven Central cannot be reached (message says what to do).
 */
export async function resolveKafkaJars(version: string, options: { onProgress?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<KafkaJars> {
  const env = options.env ?? process.env;
  const dir = path.join(cacheRoot(env), `kafka-${version}`);
  const libs = path.join(dir, 'libs');
  if (existsSync(path.join(dir, 'complete.json')) && existsSync(libs)) {
    return { version, libs, downloaded: false };
  }
  await requireMaven();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pom.xml'), renderPom(version));
  const tmp = path.join(dir, `libs.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  options.onProgress?.(`Downloading Kafka ${version} jars with Maven into ${dir} (once per version)…`);
  const r = await execa(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(dir, 'pom.xml'),
      ...(env.KAFKA_FAILOVER_MAVEN_REPO ? [`-Dmaven.repo.local=${env.KAFKA_FAILOVER_MAVEN_REPO}`] : []),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ],
    { reject: false, timeout: 30 * 60_000, all: true },
  );
  if (r.failed) {
    await rm(tmp, { recursive: true, force: true });
    const tail = (r.all ?? '')
      .split('\n')
      .filter((l) => l.trim() && !l.includes('nodedir'))
      .slice(-6)
      .join('\n');
    const network = NETWORK_SIGNS.test(r.all ?? '');
    throw new PrerequisiteError(`Maven could not download the Kafka ${version} jars${network ? ' (Maven Central was not reachable)' : ''}.\n${tail}`, {
      hint: network
        ? 'Check network access to Maven Central (or a mirror in ~/.m2/settings.xml, and proxy settings), then run the command again.'
        : `Check that Kafka ${version} exists on Maven Central; the pom is at ${path.join(dir, 'pom.xml')}.`,
    });
  }
  const jars = (await readdir(tmp)).filter((f) => f.endsWith('.jar'));
  await rm(libs, { recursive: true, force: true });
  await rename(tmp, libs);
  await writeFile(path.join(dir, 'complete.json'), JSON.stringify({ version, jars: jars.length, at: new Date().toISOString() }) + '\n');
  return { version, libs, downloaded: true };
}
