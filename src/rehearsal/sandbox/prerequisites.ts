/**
 * Checks for the programs the JVM sandbox needs: Java ≥ 17 and Maven.
 */
import { execa } from 'execa';
import { PrerequisiteError } from '../../errors.js';

/** Minimum Java feature release Kafka 4.x brokers run on. */
export const MIN_JAVA = 17;

/**
 * Parses the feature release from `java -version` output (`openjdk version "17.0.15"` → 17, `"1.8.0_392"` → 8).
 * @returns the feature release, or undefined when the text has no version.
 */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

/**
 * Finds `java` on PATH (or `$JAVA_HOME/bin/java`) and checks it is at least Java 17.
 * @returns the path of the java binary to run.
 * @throws PrerequisiteError when Java is missing or older than 17.
 */
export async function requireJava(): Promise<string> {
  const java = process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java';
  const r = await execa(java, ['-version'], { reject: false, timeout: 30_000 });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') {
    throw new PrerequisiteError(`Java was not found (tried "${java}").`, {
      hint: `Install a Java ${MIN_JAVA}+ runtime (e.g. "apt-get install openjdk-17-jre-headless") or set JAVA_HOME.`,
    });
  }
  const major = parseJavaMajor(`${r.stderr}\n${r.stdout}`);
  if (major === undefined || major < MIN_JAVA) {
    throw new PrerequisiteError(`Java ${major ?? '(unknown version)'} found at "${java}"; the sandbox needs Java ${MIN_JAVA} or newer.`, {
      hint: `Install Java ${MIN_JAVA}+ and put it first on PATH, or point JAVA_HOME at it.`,
    });
  }
  return java;
}

/**
 * Checks that Maven (`mvn`) runs.
 * @throws PrerequisiteError when it is missing.
 */
export async function requireMaven(): Promise<void> {
  const r = await execa('mvn', ['-v'], { reject: false, timeout: 60_000 });
  if (r.failed) {
    throw new PrerequisiteError('Maven ("mvn") was not found or does not run.', {
      hint: 'Install Apache Maven 3.8+ (e.g. "apt-get install maven"); it downloads the Kafka jars from Maven Central once.',
    });
  }
}
