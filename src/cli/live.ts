/**
 * Human output of a run, live: one line per event (src/cli/render.ts), final gates of a step gathered into one
 * table, and long waits shown as a spinner with the latest numbers on a terminal — or as plain progress lines at
 * most every {@link PLAIN_PROGRESS_EVERY_MS} otherwise (logs, pipelines). Colours only on a terminal and never with
 * `NO_COLOR` set (picocolors' rule).
 */
import ora, { type Ora } from 'ora';
import pc from 'picocolors';
import type { GateResult, RunEvent } from '../engine/events.js';
import type { PromptScreen } from './prompts.js';
import { gatesTable, humanLine, progressText } from './render.js';

/** Shortest interval (ms) between two plain progress lines of the same step. */
export const PLAIN_PROGRESS_EVERY_MS = 5000;

/** Where and how to print. */
export interface LiveOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Spinner and in-place updates (default: the stream is a terminal). */
  tty?: boolean;
  /** Colours (default: terminal and picocolors allows — NO_COLOR unset). */
  color?: boolean;
  now?: () => number;
}

/** Prints run events for people; also the screen the prompter draws on. */
export class LiveOutput implements PromptScreen {
  private readonly tty: boolean;
  private readonly c: ReturnType<typeof pc.createColors>;
  private spinner: Ora | undefined;
  private pendingGates: { step: string; gates: GateResult[] } | undefined;
  private lastPlain = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: LiveOptions) {
    this.tty = o.tty ?? Boolean(o.stream.isTTY);
    this.c = pc.createColors(o.color ?? (this.tty && pc.isColorSupported && !('NO_COLOR' in process.env)));
    this.now = o.now ?? Date.now;
  }

  /** Handles one event (an {@link EventSink}). */
  event = (e: RunEvent): void => {
    if (e.kind === 'gate' && e.final) {
      if (this.pendingGates && this.pendingGates.step !== e.step) this.flushGates();
      this.pendingGates ??= { step: e.step, gates: [] };
      this.pendingGates.gates.push(e.gate);
      return;
    }
    this.flushGates();
    if (e.kind === 'gate' && e.gate.ok) return; // while waiting, only what still fails is news
    if (e.kind === 'gate') {
      this.live(e.step, `${e.step}: waiting for ${e.gate.id} — observed ${JSON.stringify(e.gate.observed)}, expected ${e.gate.expected}`, false);
      return;
    }
    if (e.kind === 'progress') {
      this.live(e.step, `${e.step}: ${progressText(e.progress)}`, true);
      return;
    }
    if (e.kind === 'step.succeeded' || e.kind === 'step.failed' || e.kind === 'run.finished' || e.kind === 'run.paused') this.stopSpinner();
    const line = humanLine(e);
    if (line) this.print(this.colour(e, line));
    if (e.kind === 'step.started' && this.tty) this.startSpinner(`${e.step}: running`);
  };

  beforePrompt(): void {
    this.flushGates();
    this.stopSpinner();
  }

  afterPrompt(): void {}

  /** Prints text above the spinner (the spinner is redrawn after). */
  print(text: string): void {
    if (this.spinner?.isSpinning) {
      this.spinner.clear();
      this.o.stream.write(`${text}\n`);
      this.spinner.render();
    } else this.o.stream.write(`${text}\n`);
  }

  /** Stops the spinner (end of run). */
  close(): void {
    this.flushGates();
    this.stopSpinner();
  }

  private live(step: string, text: string, isProgress: boolean): void {
    if (this.tty) {
      if (!this.spinner?.isSpinning) this.startSpinner(text);
      else this.spinner.text = text;
      return;
    }
    // Plain output: a line now and then, so a log shows the wait moving without a line per poll.
    const key = `${step}:${isProgress ? 'p' : 'g'}`;
    const last = this.lastPlain.get(key);
    if (last !== undefined && this.now() - last < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastPlain.set(key, this.now());
    this.o.stream.write(`  … ${text}\n`);
  }

  private startSpinner(text: string): void {
    this.stopSpinner();
    this.spinner = ora({
      text,
      stream: this.o.stream as NodeJS.WritableStream,
      discardStdin: false,
      isEnabled: true,
      color: this.c.isColorSupported ? 'cyan' : false,
    }).start();
  }

  private stopSpinner(): void {
    if (this.spinner?.isSpinning) this.spinner.stop();
    this.spinner = undefined;
  }

  private flushGates(): void {
    if (!this.pendingGates) return;
    const { step, gates } = this.pendingGates;
    this.pendingGates = undefined;
    const failed = gates.filter((g) => !g.ok).length;
    const head = `  gates of ${step}: ${gates.length - failed} ok, ${failed} failed`;
    this.print(`${failed ? this.c.red(head) : head}\n${gatesTable(gates).replace(/^/gm, '  ')}`);
  }

  private colour(e: RunEvent, line: string): string {
    const c = this.c;
    switch (e.kind) {
      case 'step.succeeded':
        return c.green(line);
      case 'step.failed':
        return c.red(line);
      case 'gate.overridden':
      case 'run.paused':
        return c.yellow(line);
      case 'run.finished':
        return e.outcome === 'succeeded' ? c.green(line) : c.red(line);
      case 'step.started':
        return c.bold(line);
      default:
        return line;
    }
  }
}
