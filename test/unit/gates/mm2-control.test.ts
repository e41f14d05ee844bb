/**
 * Gates of start-replication / stop-replication: MM2 control configured (start needs Connect or a start hook, stop
 * needs Connect or hooks), the flow's checkpoints topic present, and no checkpoint appended over a quiet window.
 */
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { checkpointsTopicCreated, mm2ControlConfigured, noNewCheckpoints } from '../../../src/gates/mm2-control.js';

const connect: FlowConfig['mm2'] = { connect: { url: 'http://localhost:8083', connectors: { source: 'src', checkpoint: 'ckpt' } } };
const stopHookOnly: FlowConfig['mm2'] = { hooks: { stop: ['mm2-stop'] } };

describe('gate mm2-control-configured', () => {
  it('start: passes with Connect or a start hook, fails with only a stop hook or nothing', () => {
    expect(mm2ControlConfigured(connect, 'start')).toEqual({
      id: 'mm2-control-configured',
      description: 'the clusters file says how to start MM2 for this flow',
      observed: 'connect',
      expected: 'connect, or hooks.start under flows[].mm2',
      ok: true,
    });
    expect(mm2ControlConfigured({ hooks: { stop: ['s'], start: ['mm2-start'] } }, 'start')).toMatchObject({ observed: 'hooks', ok: true });
    expect(mm2ControlConfigured(stopHookOnly, 'start')).toMatchObject({ observed: 'hooks', ok: false });
    expect(mm2ControlConfigured(undefined, 'start')).toMatchObject({ observed: 'none', ok: false });
  });

  it('stop: passes with Connect or hooks, fails with nothing', () => {
    expect(mm2ControlConfigured(stopHookOnly, 'stop')).toEqual({
      id: 'mm2-control-configured',
      description: 'the clusters file says how to stop MM2 for this flow',
      observed: 'hooks',
      expected: 'connect or hooks under flows[].mm2',
      ok: true,
    });
    expect(mm2ControlConfigured(connect, 'stop').ok).toBe(true);
    expect(mm2ControlConfigured(undefined, 'stop')).toMatchObject({ observed: 'none', ok: false });
  });
});

describe('gate checkpoints-topic', () => {
  it('passes when the topic exists, fails naming the expected name when it does not', () => {
    expect(checkpointsTopicCreated({ target: 'dr', found: 'primary.checkpoints.internal', expectedName: 'primary.checkpoints.internal' })).toEqual({
      id: 'checkpoints-topic',
      description: "MM2 created the flow's checkpoints topic on dr",
      observed: 'primary.checkpoints.internal',
      expected: 'primary.checkpoints.internal',
      ok: true,
    });
    expect(checkpointsTopicCreated({ target: 'dr', found: undefined, expectedName: 'primary.checkpoints.internal' })).toMatchObject({
      observed: 'missing',
      ok: false,
    });
  });
});

describe('gate no-new-checkpoints', () => {
  it('passes when the checkpoints topic did not grow', () => {
    expect(noNewCheckpoints({ topic: 'primary.checkpoints.internal', quietWindowMs: 3000, before: 42, after: 42 })).toEqual({
      id: 'no-new-checkpoints',
      description: 'records appended to primary.checkpoints.internal in 3000 ms',
      observed: { newCheckpoints: 0 },
      expected: '0',
      ok: true,
    });
  });

  it('fails when checkpoints were appended, counting them', () => {
    expect(noNewCheckpoints({ topic: 'primary.checkpoints.internal', quietWindowMs: 3000, before: 42, after: 45 })).toMatchObject({
      observed: { newCheckpoints: 3 },
      ok: false,
    });
  });

  it('fails when the checkpoints topic is missing', () => {
    expect(noNewCheckpoints({ topic: undefined })).toEqual({
      id: 'no-new-checkpoints',
      description: 'checkpoints topic on the target',
      observed: 'missing',
      expected: 'present',
      ok: false,
    });
  });
});
