/**
 * Kafka versions the sandbox supports and the Maven artifacts each one needs.
 *
 * Facts from ../shared/reference/kafka-on-the-jvm.md: the broker is `org.apache.kafka:kafka_2.13`, dedicated
 * MirrorMaker 2 is `org.apache.kafka:connect-mirror`; neither ships a logging backend. Kafka 4.x logs through
 * SLF4J 1.7.36 and needs log4j2's `log4j-slf4j-impl` binding; 3.9 uses reload4j.
 */

/**
 * The Kafka version `sandbox up` uses when none is given (brokers). Pinned: a newer version is a deliberate change.
 * 4.4.0 serves every group type by default (KIP-848 consumer groups since 4.0; streams and share groups since 4.2).
 */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/**
 * Kafka versions whose MirrorMaker 2 (`connect-mirror`) is not published at that version on the Maven repositories
 * this project is built and tested against, and the MM2 version the sandbox runs with those brokers instead.
 * `connect-mirror:4.4.0` answered 404 on 2026-12-01 and 2026-12-06 while `kafka_2.13:4.4.0` resolved; MM2 is a client
 * of both clusters (Connect's producer/consumer/admin), and a 4.3 client against 4.4 brokers is a supported pairing
 * (KIP-35 version negotiation), so MM2 4.3.1 runs there — its own complete classpath, never mixed with the broker's.
 */
const MM2_VERSION_FOR: Record<string, string> = { '4.4.0': '4.3.1' };

/**
 * The MirrorMaker 2 version the sandbox runs with brokers of `kafkaVersion`: the same version, except where
 * {@link MM2_VERSION_FOR} names another (connect-mirror not published at that version).
 */
export function mm2VersionFor(kafkaVersion: string): string {
  return MM2_VERSION_FOR[kafkaVersion] ?? kafkaVersion;
}

/** A Maven coordinate `groupId:artifactId:version`. */
export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

/** How one supported Kafka line is run. */
export interface KafkaLine {
  /** `log4j2` (4.x) or `reload4j` (3.9). */
  logging: 'log4j2' | 'reload4j';
  /** Logging jars to add to the classpath. */
  loggingArtifacts: MavenArtifact[];
  /** Whether broker configs know the share coordinator (4.x). */
  shareCoordinator: boolean;
}

const LOG4J2 = '2.24.3';

/**
 * Returns how to run a Kafka version, or throws when the line is not supported.
 * @param version e.g. `4.1.2` or `3.9.1`.
 * @throws Error when the version is not 3.9.x or 4.x.
 */
export function kafkaLine(version: string): KafkaLine {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`"${version}" is not a Kafka version of the form MAJOR.MINOR.PATCH`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major >= 4) {
    return {
      logging: 'log4j2',
      shareCoordinator: true,
      loggingArtifacts: ['log4j-slf4j-impl', 'log4j-core', 'log4j-api'].map((artifactId) => ({
        groupId: 'org.apache.logging.log4j',
        artifactId,
        version: LOG4J2,
      })),
    };
  }
  if (major === 3 && minor === 9) {
    return {
      logging: 'reload4j',
      shareCoordinator: false,
      loggingArtifacts: [
        { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
        { groupId: 'ch.qos.reload4j', artifactId: 'reload4j', version: '1.2.25' },
      ],
    };
  }
  throw new Error(`Kafka ${version} is not supported by the sandbox; use 3.9.x or 4.x (default ${DEFAULT_KAFKA_VERSION})`);
}

/**
 * Every artifact of one Kafka version's jar folder: broker and logging, plus MirrorMaker 2 (and Connect) unless MM2
 * runs from another version's folder ({@link mm2VersionFor}).
 */
export function sandboxArtifacts(version: string): MavenArtifact[] {
  return [
    { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version },
    ...(mm2VersionFor(version) === version ? [{ groupId: 'org.apache.kafka', artifactId: 'connect-mirror', version }] : []),
    ...kafkaLine(version).loggingArtifacts,
  ];
}
