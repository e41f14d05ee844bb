/**
 * Converting Kafka properties to and from the `apache/kafka` image's environment variables: `KAFKA_` + the key with
 * `.` → `_`, `_` → `__`, `-` → `___`, upper-cased (the image's documented convention). Used by the testcontainers
 * provider and by the test that keeps docker-compose.yml equal to the sandbox's own configuration.
 */
import type { Properties } from './configs.js';

/** `log.dirs` → `KAFKA_LOG_DIRS`; `a_b-c` → `KAFKA_A__B___C`. */
export function toEnvName(key: string): string {
  return `KAFKA_${key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase()}`;
}

/** `KAFKA_LOG_DIRS` → `log.dirs` (inverse of {@link toEnvName}); undefined for a name without the prefix. */
export function fromEnvName(name: string): string | undefined {
  if (!name.startsWith('KAFKA_')) return undefined;
  return name
    .slice('KAFKA_'.length)
    .toLowerCase()
    .replace(/___/g, '\u0001')
    .replace(/__/g, '\u0002')
    .replace(/_/g, '.')
    .replace(/\u0001/g, '-')
    .replace(/\u0002/g, '_');
}

/** Properties → environment of the image. */
export function propertiesToEnv(p: Properties): Record<string, string> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [toEnvName(k), v]));
}

/** Environment of the image → properties (names without the `KAFKA_` prefix, such as `CLUSTER_ID`, are left out). */
export function envToProperties(env: Record<string, string>): Properties {
  const out: Properties = {};
  for (const [name, value] of Object.entries(env)) {
    const key = fromEnvName(name);
    if (key !== undefined) out[key] = String(value);
  }
  return out;
}
