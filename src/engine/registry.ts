/** The registry of step kinds: explicit registration, duplicate ids refused, unknown ids answered with the list. */
import type { StepKind } from './step.js';

export class StepRegistry {
  private readonly kinds = new Map<string, StepKind>();

  /** @throws Error when the kind is already registered. */
  register(kind: StepKind<never, never> | StepKind): this {
    const k = kind as StepKind;
    if (this.kinds.has(k.kind)) throw new Error(`step kind "${k.kind}" is registered twice`);
    this.kinds.set(k.kind, k);
    return this;
  }

  get(kind: string): StepKind | undefined {
    return this.kinds.get(kind);
  }

  /** Registered kinds, sorted. */
  list(): string[] {
    return [...this.kinds.keys()].sort();
  }
}
