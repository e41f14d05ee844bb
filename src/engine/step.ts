/**
 * A step kind: a registered unit with a zod input schema, a read-only `check` (gates and outputs; re-run while
 * waiting for gates to hold) and an optional `apply` that performs the step's side effects through
 * `ctx.write(…)` — which the dry-run turns into "would" records carrying the exact values.
 * Steps reach Kafka, Kafka Connect, processes and prompts only through their context.
 */
import type { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import type { ConnectPort, ConnectTarget } from '../adapters/connect.js';
import type { ExecPort } from '../adapters/exec.js';
import type { KafkaPort } from '../kafka/port.js';
import type { GateResult, Progress, WriteDescription } from './events.js';
import type { AclNeed, AclScope } from './permissions.js';

/** What a step's `check` returns. */
export interface CheckResult<TPlan = unknown> {
  /** Gates evaluated from real reads; the engine blocks the run (exit 3) on a failing one unless overridden. */
  gates?: GateResult[];
  /** Outputs later steps can read as `${steps.<id>.outputs.<name>}`. */
  outputs?: Record<string, unknown>;
  /** What `apply` will do, handed to it unchanged. */
  plan?: TPlan;
}

/** The ports and facts a step gets. */
export interface StepContext {
  /** Id of the step in the runbook. */
  stepId: string;
  dryRun: boolean;
  /** The flow the runbook acts on. */
  flow: FlowConfig;
  /**
   * Every flow of the clusters file (the replication graph), for steps that reason about more than the runbook's flow
   * (an active-active move reads the opposite flow's offset syncs). Absent in contexts made without a clusters file.
   */
  flows?: readonly FlowConfig[];
  /** A cluster's port by alias (`flow.source`, `flow.target`…). Opening is lazy; unreachable clusters throw on use. */
  kafka(alias: string): KafkaPort;
  /** Whether a cluster answers (cached per run; used to tell "source down" apart from errors). */
  reachable(alias: string): Promise<boolean>;
  exec: ExecPort;
  /** Kafka Connect REST of a flow's MM2 (`flow.mm2.connect`): pause/resume/stop/status of its connectors. */
  connect(target: ConnectTarget): ConnectPort;
  /** Performs a side effect: audited (and fsynced) before, checked against pinned cluster ids, skipped in dry-run. */
  write<T>(w: WriteDescription, fn: () => Promise<T>): Promise<T | undefined>;
  /** Records a note (numbers) in the audit log and output. */
  note(message: string, data?: unknown): void;
  /** Reports live progress of a long wait inside the step (e.g. a quiet window: done/total ms). */
  progress(p: Progress): void;
  /** Sleeps (ms); rejects when the step times out or the run is pausing. */
  sleep(ms: number): Promise<void>;
  now(): number;
  signal: AbortSignal;
  /**
   * The runbook this step runs in: every step with its kind and its input as far as it resolves before the run (for
   * preflights that look ahead, e.g. `check-permissions`). Absent when a step runs outside a runbook (unit tests).
   */
  runbook?: { steps: { id: string; kind: StepKind | undefined; with: Record<string, unknown> }[] };
}

/** A step kind's definition. */
export interface StepKind<TInput = unknown, TPlan = unknown> {
  /** Namespaced id used in runbooks, e.g. `translate-offsets`. */
  kind: string;
  description: string;
  /** Input schema: the single source of the input's type; validated at load and again after templating. */
  input: z.ZodType<TInput>;
  /**
   * Schema of the outputs `check` returns (`${steps.<id>.outputs.<name>}`), when the step promises a shape to later
   * steps (e.g. the offset plan, src/mm2/plan.ts): {@link defineStep} parses the outputs with it (a mismatch throws).
   */
  output?: z.ZodType<Record<string, unknown>>;
  /**
   * The ACLs a run of this step needs, per cluster (src/engine/permissions.ts): what `check-permissions` asks the
   * clusters about before any write. Absent: the step needs no Kafka ACL (hooks, prompts, Connect REST).
   */
  acls?(scope: AclScope): AclNeed[];
  /** True when `apply` writes (clusters, hooks); such steps honour `confirm` and the dry-run. */
  writes: boolean;
  /**
   * True when the step works on a move between two clusters with no replication flow between them (runbook
   * `requireFlow: false`, flow kind `move`): it uses the pair's two clusters (and the clusters file's other flows),
   * never the runbook flow's MM2, checkpoints or offset syncs. Absent: refused in such a runbook at load.
   */
  flowless?: boolean;
  /** Ask for confirmation even when the runbook step does not set `confirm` (manual approval). */
  alwaysConfirm?: boolean;
  check(ctx: StepContext, input: TInput): Promise<CheckResult<TPlan>>;
  // biome-ignore lint/suspicious/noConfusingVoidType: an apply that returns nothing is the common case (`async apply() {…}`)
  apply?(ctx: StepContext, input: TInput, plan: TPlan | undefined): Promise<Record<string, unknown> | void>;
  /** Read-only gates after `apply` (e.g. "writes stopped"); re-run while waiting like `check`. Not run in dry-run. */
  verify?(ctx: StepContext, input: TInput, plan: TPlan | undefined): Promise<CheckResult>;
}

/** Defines a step kind with its input type inferred from the schema (and its `check` outputs parsed by `output`, if given). */
export function defineStep<S extends z.ZodType, TPlan = unknown>(
  def: Omit<StepKind<z.output<S>, TPlan>, 'input'> & { input: S },
): StepKind<z.output<S>, TPlan> {
  const { output } = def;
  if (!output) return def as unknown as StepKind<z.output<S>, TPlan>;
  const check: StepKind<z.output<S>, TPlan>['check'] = async (ctx, input) => {
    const r = await def.check(ctx, input);
    return r.outputs === undefined ? r : { ...r, outputs: output.parse(r.outputs) };
  };
  return { ...def, check } as unknown as StepKind<z.output<S>, TPlan>;
}
