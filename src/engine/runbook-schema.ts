/**
 * The runbook file format (YAML in `runbooks/`).
 *
 * ```yaml
 * apiVersion: kafka-failover/v1
 * name: planned-failover
 * description: Move consumers from primary to dr with MM2 caught up.
 * flow: primary->dr                    # a flow of the clusters file
 * parameters:
 *   groups: { type: string, default: ".*", description: consumer groups to move (regex) }
 *   maxLagRecords: { type: integer, default: 0, minimum: 0 }
 * steps:
 *   - id: lag                          # unique; outputs are ${steps.lag.outputs.<name>}
 *     kind: check-replication-lag      # a registered step kind
 *     with: { maxLagRecords: "${params.maxLagRecords}" }
 *     wait: { timeoutMs: 60000, intervalMs: 1000 }   # poll until the gates hold
 *     timeoutMs: 120000                # whole step
 *     retries: { max: 3, backoffMs: 1000 }           # retryable errors only
 *     onFailure: abort                 # abort | continue | compensate
 *     compensate: { kind: exec, with: { command: [...] } }
 *     confirm: true                    # or { typeTargetAlias: true }
 * ```
 */
import { z } from 'zod';

const paramType = z.enum(['string', 'integer', 'number', 'boolean']);

export const parameterSchema = z.strictObject({
  type: paramType,
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  description: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
});

const inlineStep = z.strictObject({ kind: z.string().min(1), with: z.record(z.string(), z.unknown()).default({}) });

export const stepSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'step ids use lower-case letters, digits and "-", starting with a letter'),
  kind: z.string().min(1),
  description: z.string().optional(),
  with: z.record(z.string(), z.unknown()).default({}),
  wait: z.strictObject({ timeoutMs: z.number().int().min(0), intervalMs: z.number().int().min(50).default(1000) }).optional(),
  timeoutMs: z.number().int().positive().optional(),
  retries: z.strictObject({ max: z.number().int().min(0).max(20), backoffMs: z.number().int().min(0).default(1000) }).optional(),
  onFailure: z.enum(['abort', 'continue', 'compensate']).default('abort'),
  compensate: inlineStep.optional(),
  confirm: z.union([z.boolean(), z.strictObject({ typeTargetAlias: z.boolean() })]).default(false),
});

export const runbookSchema = z.strictObject({
  apiVersion: z.literal('kafka-failover/v1'),
  name: z.string().min(1),
  description: z.string().optional(),
  flow: z.string().regex(/^[^>\s]+->[^>\s]+$/, 'expected <source>-><target>, e.g. primary->dr'),
  parameters: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), parameterSchema).default({}),
  steps: z.array(stepSchema).min(1),
});

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookStep = z.infer<typeof stepSchema>;
export type RunbookParameter = z.infer<typeof parameterSchema>;
