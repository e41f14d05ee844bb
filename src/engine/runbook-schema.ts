/**
 * The runbook file format (YAML in `runbooks/`).
 *
 * ```yaml
 * apiVersion: kafka-failover/v1
 * name: planned-failover
 * description: Move consumers from primary to dr with MM2 caught up.
 * flow: primary->dr                    # a flow of the clusters file
 * requireFlow: true                    # false: two clusters with no flow between them (a move across the graph)
 * env:                                 # hooks' environment besides PATH, HOME, LANG, TZ (nothing else is passed)
 *   allow: [KUBECONFIG]                # copied from the operator's environment when set
 *   set: { AWS_REGION: eu-west-1 }     # explicit values
 * parameters:
 *   groups: { type: string, default: ".*", description: consumer groups to move (regex) }
 *   namespace: { type: string, default: prod, pattern: "[a-z0-9-]+" }   # --set values must match (whole value)
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
import { regexString } from '../util/regex.js';

const paramType = z.enum(['string', 'integer', 'number', 'boolean']);

export const parameterSchema = z
  .strictObject({
    type: paramType,
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    description: z.string().optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    /** String parameters: a regular expression the whole value (default and `--set`) must match. */
    pattern: regexString.optional(),
  })
  .refine((p) => p.pattern === undefined || p.type === 'string', { message: 'pattern applies to string parameters only', path: ['pattern'] });

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/**
 * What hooks get in their environment besides PATH, HOME, LANG and TZ (src/adapters/exec.ts): `allow` names copied
 * from the operator's environment, `set` explicit values. Variables the clusters file reads secrets from are refused.
 */
export const hookEnvSchema = z.strictObject({
  allow: z.array(envVarName).default([]),
  set: z.record(envVarName, z.string()).default({}),
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
  /**
   * `false`: `flow` names two clusters of the clusters file that need not have a replication flow between them — a
   * workload move across the graph (an aggregate cluster's groups to a second aggregate), whose paths come from the
   * file's other flows. Every step must then be a kind that works without the flow (`flowless`), checked at load.
   * Default `true`: `flow` must be a flow of the clusters file.
   */
  requireFlow: z.boolean().default(true),
  parameters: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), parameterSchema).default({}),
  env: hookEnvSchema.optional(),
  steps: z.array(stepSchema).min(1),
});

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookStep = z.infer<typeof stepSchema>;
export type RunbookParameter = z.infer<typeof parameterSchema>;
