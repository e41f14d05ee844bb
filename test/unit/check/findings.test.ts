/** The readiness check's verdict: exit code by the worst severity, stable ordering; durations need a unit. */
import { describe, expect, it } from 'vitest';
import { CHECK_EXIT, sortFindings, worstSeverity, type Finding } from '../../../src/check/findings.js';
import { durationMs } from '../../../src/cli/parse.js';
import { runCheck } from '../../../src/check/run-check.js';
import type { KafkaPort } from '../../../src/kafka/port.js';

const f = (id: Finding['id'], severity: Finding['severity'], subject = 't'): Finding => ({ id, severity, where: 'primary', subject, evidence: {}, fix: '' });

describe('check findings', () => {
  it('exit code follows the worst severity: 0 none, 10 medium, 11 high, 12 critical', () => {
    expect(CHECK_EXIT[worstSeverity([])]).toBe(0);
    expect(CHECK_EXIT[worstSeverity([f('min-insync-low', 'medium')])]).toBe(10);
    expect(CHECK_EXIT[worstSeverity([f('min-insync-low', 'medium'), f('unclean-leader-election', 'high')])]).toBe(11);
    expect(CHECK_EXIT[worstSeverity([f('unclean-leader-election', 'high'), f('offline-partitions', 'critical')])]).toBe(12);
  });

  it('sorts worst first, then by finding and subject', () => {
    const sorted = sortFindings([
      f('min-insync-low', 'medium', 'b'),
      f('offline-partitions', 'critical'),
      f('min-insync-low', 'medium', 'a'),
      f('checkpoints-stale', 'high'),
    ]);
    expect(sorted.map((x) => `${x.severity} ${x.id} ${x.subject}`)).toEqual([
      'critical offline-partitions t',
      'high checkpoints-stale t',
      'medium min-insync-low a',
      'medium min-insync-low b',
    ]);
  });
});

describe('--accept-data-loss-window durations', () => {
  it('parses durations with units to ms and refuses a bare number or nonsense', () => {
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('1500ms')).toBe(1500);
    expect(() => durationMs('10')).toThrow(/no unit/);
    expect(() => durationMs('soon')).toThrow(/expected a duration/);
  });
});

describe('runCheck fails closed', () => {
  it('a cluster that does not answer is a critical finding, never a clean report', async () => {
    const down = { describeCluster: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')) } as unknown as KafkaPort;
    const r = await runCheck({ clusters: { file: 'c.yaml', config: { clusters: { a: { bootstrapServers: ['127.0.0.1:1'] } }, flows: [] } }, port: () => down });
    expect(r.findings).toEqual([
      expect.objectContaining({ id: 'cluster-unreachable', severity: 'critical', where: 'a', evidence: { error: 'connect ECONNREFUSED 127.0.0.1:1' } }),
    ]);
    expect(r.exitCode).toBe(12);
  });
});
