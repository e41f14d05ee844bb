/**
 * The runbook as an xstate v5 machine: one state per step, each invoking the `runStep` actor; final states
 * `succeeded`, `failed`, `blocked`, `aborted` and `paused` (a safe stop the executor does not persist, so a resume
 * restarts the step it paused in). The machine does no I/O: `runStep` is provided by the executor
 * (`machine.provide({ actors })`), and tests provide fakes. Step outputs live in the machine's context, so a
 * persisted snapshot carries everything later steps need.
 */
import { assign, fromPromise, setup } from 'xstate';
import type { Runbook } from './runbook-schema.js';

/** What running one step resolved to (the actor applies the step's onFailure policy). */
export interface StepOutcome {
  stepId: string;
  status: 'succeeded' | 'continued' | 'blocked' | 'failed' | 'aborted' | 'paused';
  outputs?: Record<string, unknown>;
  message?: string;
}

/** Input of the `runStep` actor. */
export interface RunStepInput {
  index: number;
  /** Outputs of the steps run so far, by step id. */
  outputs: Record<string, Record<string, unknown>>;
}

export interface RunContext {
  outputs: Record<string, Record<string, unknown>>;
  /** Why the run ended where it did (blocked, failed, aborted). */
  message?: string;
  /** Index of the step the run ended on. */
  stoppedAt?: number;
}

/** Builds the machine of a runbook. Pure. */
export function buildRunbookMachine(runbook: Runbook) {
  const stateName = (i: number) => `step_${i}`;
  const states: Record<string, unknown> = {};
  runbook.steps.forEach((step, i) => {
    const next = i + 1 < runbook.steps.length ? stateName(i + 1) : 'succeeded';
    states[stateName(i)] = {
      meta: { stepId: step.id },
      invoke: {
        src: 'runStep',
        input: ({ context }: { context: RunContext }) => ({ index: i, outputs: context.outputs }),
        onDone: [
          { guard: ({ event }: { event: { output: StepOutcome } }) => event.output.status === 'blocked', target: 'blocked', actions: 'stop' },
          { guard: ({ event }: { event: { output: StepOutcome } }) => event.output.status === 'failed', target: 'failed', actions: 'stop' },
          { guard: ({ event }: { event: { output: StepOutcome } }) => event.output.status === 'aborted', target: 'aborted', actions: 'stop' },
          { guard: ({ event }: { event: { output: StepOutcome } }) => event.output.status === 'paused', target: 'paused', actions: 'stop' },
          { target: next, actions: 'keepOutputs' },
        ],
        onError: { target: 'failed', actions: 'stopOnError' },
      },
    };
  });
  return setup({
    types: {} as { context: RunContext; events: { type: 'ABORT'; reason: string } },
    actors: {
      runStep: fromPromise<StepOutcome, RunStepInput>(async () => {
        throw new Error('runStep is provided by the executor');
      }),
    },
    actions: {
      keepOutputs: assign(({ context, event }) => {
        const out = (event as unknown as { output: StepOutcome }).output;
        return { outputs: { ...context.outputs, [out.stepId]: out.outputs ?? {} } };
      }),
      stop: assign(({ event }) => {
        const out = (event as unknown as { output: StepOutcome }).output;
        return { message: out.message, stoppedAt: runbook.steps.findIndex((s) => s.id === out.stepId) };
      }),
      stopOnError: assign(({ event }) => ({
        message: String((event as unknown as { error: Error }).error?.message ?? (event as unknown as { error: unknown }).error),
      })),
    },
  }).createMachine({
    id: 'runbook',
    initial: stateName(0),
    context: { outputs: {} },
    on: { ABORT: { target: '.aborted', actions: assign(({ event }) => ({ message: event.reason })) } },
    states: {
      ...(states as object),
      succeeded: { type: 'final' },
      failed: { type: 'final' },
      blocked: { type: 'final' },
      aborted: { type: 'final' },
      paused: { type: 'final' },
    },
  } as never);
}

/** The machine type of a runbook. */
export type RunbookMachine = ReturnType<typeof buildRunbookMachine>;
