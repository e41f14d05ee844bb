/**
 * `kafka-failover run | plan | resume | validate`: run a runbook (or dry-run it), print the offset plan, continue an
 * interrupted run, or check the file.
 * Interactive when stdin and stdout are terminals, without `--yes` and `CI=true`: confirmations, typed aliases and a
 * retry / wait / override / abort menu on failing gates, each prompt bounded by `--prompt-timeout`.
 * Otherwise nothing is ever prompted, and a gate or confirmation that needs a human blocks the run (exit 3) naming
 * the flag that would authorise it. Ctrl-C (SIGINT) or SIGTERM pauses the run at the next safe point (exit 6).
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { assertNotObserverTarget, findFlow, loadClustersFile, observerTargetProblem, type LoadedClusters } from '../clusters/load.js';
import type { RunEvent } from '../engine/events.js';
import { DEFAULT_PROMPT_TIMEOUT_MS, loadRunForResume, runRunbook } from '../engine/executor.js';
import { loadRunbook } from '../engine/load-runbook.js';
import { InvalidInputError, ValidationError, formatProblem, type ValidationProblem } from '../errors.js';
import { builtinRegistry } from '../steps/index.js';
import { flowsOf, parseFlowOption, resolveClustersFile, withClustersOptions } from './clusters-options.js';
import { durationMs, intIn, oneOf } from './parse.js';
import { LiveOutput } from './live.js';
import { createPrompter, inquirerModule } from './prompts.js';
import { planTable, runbookTable, runSummary } from './render.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The runbook parameter `--accept-data-loss-window` sets (ms). */
export const ACCEPT_WINDOW_PARAM = 'acceptDataLossWindowMs';

/**
 * Parses repeated `key=value` options (`--set`, `--override`) into an object without a prototype, so every key —
 * "constructor" and "__proto__" included — is an own property that later checks see (and refuse when unknown).
 * @throws InvalidInputError naming the flag.
 */
export function pairs(list: string[] = [], flag: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new InvalidInputError(`${flag} "${item}" is not of the form key=value.`, { hint: `For example ${flag} maxLagRecords=0.` });
    out[item.slice(0, i)] = item.slice(i + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/**
 * Makes sure the runs directory exists and can be written, before anything is written there. Missing folders are
 * created one level at a time: Node 20's `mkdir(…, { recursive: true })` loops forever at 100 % CPU (the event loop
 * blocked, so SIGTERM and Ctrl-C are never handled) when the kernel answers ENOENT for a folder inside an existing
 * one, as /proc does; a single-level mkdir fails at once.
 * @throws InvalidInputError (exit 2) naming the folder and why it cannot be used.
 */
export function prepareRunsDir(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let cur = abs; !existsSync(cur) && path.dirname(cur) !== cur; cur = path.dirname(cur)) missing.unshift(cur);
  try {
    for (const d of missing) mkdirSync(d, { mode: 0o700 });
    if (!statSync(abs).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why: Record<string, string> = {
      EACCES: 'permission denied',
      EPERM: 'permission denied',
      EROFS: 'read-only file system',
      ENOTDIR: 'a file is in the way where a folder is needed',
      ENOENT: 'this file system does not allow creating folders there',
    };
    throw new InvalidInputError(`--runs-dir ${dir}: cannot create or write ${abs} (${why[code] ?? (code || String(error))}).`, {
      hint: 'Give a folder you can write to on a normal file system (it is created if missing), e.g. --runs-dir ./runs.',
    });
  }
}

/**
 * Turns the first SIGINT/SIGTERM into a pause request (the run stops at its next safe point and prints the resume
 * command); a second one of either quits at once (exit 130 after SIGINT, 143 after SIGTERM), also while the run is
 * still waiting to start (e.g. for the target's lease) — the audit log then shows any write whose intent has no done.
 */
function pauseOnSignals(stderr: NodeJS.WritableStream): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!ctl.signal.aborted) {
      ctl.abort(sig === 'SIGINT' ? 'the operator pressed Ctrl-C' : `received ${sig}`);
      stderr.write(
        `\n${sig}: pausing at the next safe point (a write in flight completes and is recorded first)… press Ctrl-C (or send SIGTERM) again to quit at once\n`,
      );
    } else {
      stderr.write(`second ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: quitting now; check the audit log before resuming\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** `--flow` as `source->target`. @throws InvalidInputError when it is not of that form. */
function flowText(value: string): string {
  const { source, target } = parseFlowOption(value);
  return `${source}->${target}`;
}

/** A loader's error as validation problems of `file` (a file that cannot be read is one problem). */
function problemsOf(error: unknown, file: string): ValidationProblem[] {
  if (error instanceof ValidationError) return [...error.problems];
  if (error instanceof InvalidInputError) return [{ file, field: '(file)', message: error.message, ...(error.hint ? { hint: error.hint } : {}) }];
  throw error;
}

async function execute(runbookFile: string, o: Record<string, unknown>, dryRun: boolean, resumeId?: string): Promise<number> {
  if (o.stealLock && !o.reason)
    throw new InvalidInputError('--steal-lock needs --reason "<why>" (it is recorded in the audit log).', {
      hint: 'For example --steal-lock --reason "previous run crashed on host X".',
    });
  const registry = builtinRegistry();
  const runsDir = String(o.runsDir);
  const resumed = resumeId ? loadRunForResume(runsDir, resumeId) : undefined;
  const sets = resumed ? resumed.record.sets : pairs(o.set as string[], '--set');
  const flowOption = o.flow === undefined || resumed ? undefined : flowText(String(o.flow));
  let runbook = await loadRunbook(resumed ? resumed.record.runbookFile : path.resolve(runbookFile), registry, sets, flowOption ? { flowOption } : {});
  if (o.acceptDataLossWindow !== undefined && !resumed) {
    // Sugar for the emergency runbooks' parameter, so the pipeline states the window it accepts in one readable flag.
    if (!(ACCEPT_WINDOW_PARAM in runbook.runbook.parameters)) {
      throw new InvalidInputError(`--accept-data-loss-window: ${runbook.file} has no "${ACCEPT_WINDOW_PARAM}" parameter, so no step would use it.`, {
        hint: 'Use it with runbooks that estimate a data-loss window (runbooks/emergency-failover.yaml), or leave it out.',
      });
    }
    sets[ACCEPT_WINDOW_PARAM] = String(o.acceptDataLossWindow);
    runbook = await loadRunbook(runbook.file, registry, sets);
  }
  if (resumed && runbook.sha256 !== resumed.record.runbookSha256) {
    throw new InvalidInputError(
      `${runbook.file} changed since run ${resumeId} started (sha256 ${runbook.sha256.slice(0, 12)}… ≠ ${resumed.record.runbookSha256.slice(0, 12)}…).`,
      { hint: 'Restore the runbook as it was, or start a new run.' },
    );
  }
  const clustersFile = resumed ? resumed.record.clustersFile : resolveClustersFile(o.clusters as string | undefined);
  const clusters = await loadClustersFile(clustersFile);
  // A flow the clusters file lacks is refused before the runs dir is created; a runbook that needs none (requireFlow:
  // false) is checked against the file's clusters and its steps against the pair (every step flowless), likewise.
  findFlow(clusters, runbook.flow, { allowMovePair: !runbook.runbook.requireFlow });
  if (!runbook.runbook.requireFlow)
    await loadRunbook(runbook.file, registry, sets, {
      clusters: { file: clustersFile, flows: clusters.config.flows, aliases: Object.keys(clusters.config.clusters) },
    });
  // So is a move onto an observer (read-only) cluster (exit 2, pointing at clusters.<alias>.role).
  assertNotObserverTarget(clusters, runbook.flow.target, `runbook ${runbook.file} (flow ${runbook.runbook.flow})`);
  prepareRunsDir(runsDir);
  const yes = Boolean(o.yes) || Boolean(resumed?.record.yes);
  const interactive = !yes && process.env.CI !== 'true' && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
  const jsonOut = o.output === 'json';
  const live = new LiveOutput({ stream: process.stderr });
  const sink = jsonOut ? (e: RunEvent) => void process.stdout.write(JSON.stringify(e) + '\n') : live.event;
  if (!jsonOut)
    live.print(
      `${runbook.runbook.name} (${runbook.runbook.flow}), ${interactive ? 'interactive' : 'non-interactive'}${dryRun || resumed?.record.dryRun ? ', DRY-RUN (nothing is written)' : ''}:\n${runbookTable(runbook.runbook, registry)}`,
    );
  const pause = pauseOnSignals(process.stderr);
  const result = await runRunbook({
    runbook,
    clusters,
    clustersFile,
    registry,
    dryRun: resumed ? resumed.record.dryRun : dryRun,
    yes,
    overrides: { ...(resumed?.record.overrides ?? {}), ...pairs(o.override as string[], '--override') },
    runsDir,
    ...(resumed ? { resume: resumed.resume } : {}),
    lock: { ttlMs: Number(o.lockTtl ?? 30_000), ...(o.stealLock ? { stealReason: String(o.reason) } : {}) },
    ...(interactive ? { prompter: createPrompter(await inquirerModule(), live) } : {}),
    promptTimeoutMs: Number(o.promptTimeout ?? DEFAULT_PROMPT_TIMEOUT_MS),
    pauseSignal: pause.signal,
    sinks: [sink],
  }).finally(() => {
    pause.dispose();
    live.close();
  });
  if (result.anchor && !result.anchor.written) {
    process.stderr.write(
      `warning: the audit anchor of run ${result.runId} could not be written to ${result.anchor.cluster} (${result.anchor.error.split('\n')[0]}): \`audit verify\` reports this run BROKEN (no anchor) while ${result.anchor.cluster} answers\n`,
    );
  }
  if (!jsonOut) {
    const table = planTable(result.events);
    if (table) process.stdout.write(`${dryRun ? 'Offset plan (nothing was written)' : 'Offsets written'}:\n${table}\n`);
    process.stdout.write(`Summary:\n${runSummary(result.events)}\n`);
  }
  return result.exitCode;
}

/** Adds `run`, `plan` and `validate`; `setExit` receives the run's exit code. */
export function registerRunCommands(program: Command, setExit: (code: number) => void): void {
  const common = (cmd: Command) =>
    withClustersOptions(cmd)
      .option('--set <key=value>', 'set a runbook parameter (repeatable)', collect)
      .option('--yes', 'non-interactive: approve confirmations (recorded in the audit log)')
      .option('--override <step.gate=reason>', 'let a failing gate pass, with a reason (repeatable, audited)', collect)
      .option('--runs-dir <dir>', 'where run directories (audit log, snapshot) go', 'runs')
      .option('--lock-ttl <ms>', 'lease time-to-live on the target cluster (renewed every third of it)', intIn(1000, 3_600_000), 30_000)
      .option('--steal-lock', 'take over a lock held by another run (needs --reason; audited)')
      .option('--reason <text>', 'why the lock is stolen')
      .option('--output <format>', 'human or json (one event per line, schema in docs/events.md)', oneOf('human', 'json'), 'human')
      .option(
        '--prompt-timeout <ms>',
        'longest wait for an answer to one prompt; then the run pauses (resumable)',
        intIn(1000, 86_400_000),
        DEFAULT_PROMPT_TIMEOUT_MS,
      );

  common(program.command('run <runbook>'))
    .description('run a runbook against the clusters (gates, confirmations, audit log)')
    .option('--dry-run', 'compute everything from real reads, write nothing')
    .option(
      '--accept-data-loss-window <duration>',
      'emergency runbooks: the data-loss window you accept (e.g. 5m); the run blocks if the estimate is larger',
      durationMs,
    )
    .action(async (file: string, o) => setExit(await execute(file, o, Boolean(o.dryRun))));

  common(program.command('plan <runbook>'))
    .description('dry-run: the exact offset plan (group, partition, current → new offset, re-reads); nothing is written')
    .action(async (file: string, o) => setExit(await execute(file, o, true)));

  program
    .command('resume <run-id>')
    .description('continue a run whose process died: completed writes (audit log) are not repeated; the runbook must be unchanged')
    .option('--runs-dir <dir>', 'where run directories are', 'runs')
    .option('--lock-ttl <ms>', 'lease time-to-live on the target cluster', intIn(1000, 3_600_000), 30_000)
    .option('--steal-lock', 'take over a lock held by another run (needs --reason; audited)')
    .option('--reason <text>', 'why the lock is stolen')
    .option('--yes', 'non-interactive: approve confirmations (recorded in the audit log)')
    .option('--override <step.gate=reason>', 'let a failing gate pass, with a reason (repeatable, audited)', collect)
    .option('--output <format>', 'human or json (one event per line, schema in docs/events.md)', oneOf('human', 'json'), 'human')
    .option(
      '--prompt-timeout <ms>',
      'longest wait for an answer to one prompt; then the run pauses (resumable)',
      intIn(1000, 86_400_000),
      DEFAULT_PROMPT_TIMEOUT_MS,
    )
    .action(async (runId: string, o) => setExit(await execute('', o, false, runId)));

  program
    .command('validate <runbook>')
    .description("check a runbook: schema, step kinds, inputs, template references, parameters; with --clusters, that file and the runbook's flow in it")
    .option('--set <key=value>', 'set a runbook parameter (repeatable)', collect)
    .option('--clusters <file>', "also check this clusters file, and that the runbook's flow is one of its flows")
    .option('--flow <source->target>', 'also check that the runbook is written for this flow')
    .action(async (file: string, o) => {
      const sets = pairs(o.set, '--set');
      const flowOption = o.flow === undefined ? undefined : flowText(String(o.flow));
      // Every problem of both files in one report: the clusters file's, then the runbook's (with its flow).
      const problems: ValidationProblem[] = [];
      let clusters: LoadedClusters | undefined;
      let flows: { file: string; flows: { source: string; target: string }[]; aliases?: string[] } | undefined;
      if (o.clusters !== undefined) {
        const clustersFile = path.resolve(String(o.clusters));
        clusters = await loadClustersFile(clustersFile).catch((e: unknown) => void problems.push(...problemsOf(e, clustersFile)));
        // A clusters file with problems still names its flows, usually: check the runbook's flow against them too.
        const named = clusters ? clusters.config.flows : await flowsOf(clustersFile);
        if (named) flows = { file: clustersFile, flows: named, ...(clusters ? { aliases: Object.keys(clusters.config.clusters) } : {}) };
      }
      const runbookFile = path.resolve(file);
      const r = await loadRunbook(runbookFile, builtinRegistry(), sets, {
        ...(flows ? { clusters: flows } : {}),
        ...(flowOption ? { flowOption } : {}),
      }).catch((e: unknown) => void problems.push(...problemsOf(e, runbookFile)));
      const onObserver = r && clusters ? observerTargetProblem(clusters, r.flow.target, `runbook ${file} (flow ${r.runbook.flow})`) : undefined;
      if (onObserver) problems.push(onObserver);
      if (problems.length || !r) throw new ValidationError(problems);
      for (const w of r.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      process.stdout.write(
        `${file}: OK — ${r.runbook.name}, flow ${r.runbook.flow}${
          clusters
            ? clusters.config.flows.some((f) => `${f.source}->${f.target}` === r.runbook.flow)
              ? ` (a flow of ${o.clusters}, which is valid too)`
              : ` (two clusters of ${o.clusters} with no flow between them, requireFlow: false; the file is valid too)`
            : ''
        }, ${r.runbook.steps.length} steps (${r.runbook.steps.map((s) => s.id).join(' → ')})\n`,
      );
    });
}
