/**
 * `check-permissions` derives the ACLs of a runbook from its steps' own declarations and judges them on what the
 * clusters answer (KIP-430, faked faithfully by MemoryKafka: prefixed/literal/`*` bindings, implied DESCRIBE, refused
 * DESCRIBE, cluster operations only with DESCRIBE on the cluster). The sandbox's least-privilege grant
 * (src/rehearsal/sandbox/acls.ts) is checked against the derivation for runbooks/planned-failover.yaml and
 * runbooks/failback.yaml here, and against real brokers in test/integration/secured-sasl-ssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { literalAlternatives } from '../../../src/engine/permissions.js';
import { lookAheadView } from '../../../src/engine/step-context.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { GateResult } from '../../../src/engine/events.js';
import type { AuthorizedOperations } from '../../../src/kafka/authorized-operations.js';
import { movePair } from '../../../src/clusters/load.js';
import { ANCHOR_TOPIC } from '../../../src/engine/audit-anchor.js';
import { LEASE_TOPIC } from '../../../src/engine/lock.js';
import { failbackAcls, leastPrivilegeAcls, type SandboxAcl } from '../../../src/rehearsal/sandbox/acls.js';
import { type CheckedAcl, checkPermissions, judge } from '../../../src/steps/check-permissions.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

const flowOf = (source: string, target: string) =>
  ({ source, target, replicationPolicy: 'default', separator: '.', offsetSyncsTopicLocation: 'source' }) as unknown as FlowConfig;
const flow = flowOf('primary', 'dr');
/** Failback: runbooks/failback.yaml's flow, dr -> primary. */
const back = { file: 'runbooks/failback.yaml', flow: flowOf('dr', 'primary') };

/** Both clusters as they stand after a failover and a DR period (both flows' topics exist). */
function clusters(acls: SandboxAcl[]) {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  for (const t of ['orders-1', 'payments-1', 'mm2-offset-syncs.dr.internal', 'dr.orders-1', 'dr.payments-1', 'dr.checkpoints.internal', 'heartbeats'])
    primary.topic(t);
  for (const t of [
    'primary.orders-1',
    'primary.payments-1',
    'primary.checkpoints.internal',
    'heartbeats',
    'orders-1',
    'payments-1',
    'mm2-offset-syncs.primary.internal',
  ])
    dr.topic(t);
  for (const c of [primary, dr]) for (const g of ['billing-1', 'shipping-1']) c.commit(g, 'x', 0, 1);
  for (const [c, alias] of [
    [primary, 'primary'],
    [dr, 'dr'],
  ] as const)
    c.acls = acls
      .filter((a) => a.cluster === alias)
      .map((a) => ({ resource: a.resource as 'topic', name: a.name, pattern: a.pattern, operation: a.operation }));
  return { primary, dr };
}

async function run(
  acls: SandboxAcl[],
  up = { primary: true, dr: true },
  runbook: { file: string; flow: FlowConfig; flows?: FlowConfig[] } = { file: 'runbooks/planned-failover.yaml', flow },
) {
  const { primary, dr } = clusters(acls);
  const registry = builtinRegistry();
  const loaded = await loadRunbook(runbook.file, registry, { groups: 'billing-1|shipping-1|analytics-1', topics: 'orders-1|payments-1' });
  const ports = { primary: primary.port(), dr: dr.port() };
  const notes: string[] = [];
  const ctx = {
    stepId: 'permissions',
    flow: runbook.flow,
    flows: runbook.flows ?? [runbook.flow],
    kafka: (a: 'primary' | 'dr') => ports[a],
    reachable: async (a: 'primary' | 'dr') => up[a],
    note: (m: string) => notes.push(m),
    runbook: lookAheadView(loaded, registry, runbook.flow),
  } as unknown as StepContext;
  const step = loaded.runbook.steps.find((s) => s.kind === 'check-permissions')!;
  const r = await checkPermissions.check(
    ctx,
    checkPermissions.input.parse(step.with && { groups: 'billing-1|shipping-1|analytics-1', topics: 'orders-1|payments-1' }),
  );
  const gate = (id: string) => r.gates!.find((g: GateResult) => g.id === id)!;
  return { granted: gate('acls-granted'), known: gate('acls-known'), acls: (r.outputs as { acls: CheckedAcl[] }).acls, notes };
}

const sandbox = leastPrivilegeAcls((t) => `primary.${t}`);
const failback = failbackAcls((t) => `dr.${t}`);
const missingOf = (g: GateResult) => (g.observed as { missing: string[] }).missing;

/** The planned failover with the failover set; the failback (flow dr->primary) with the DR cycle's whole grant. */
const cases = [
  { name: 'the planned failover', grant: sandbox, own: sandbox, runbook: { file: 'runbooks/planned-failover.yaml', flow } },
  { name: 'the failback', grant: [...sandbox, ...failback], own: failback, runbook: back },
];

describe('check-permissions', () => {
  for (const c of cases) {
    it(`is the first step of ${c.name} and passes with exactly the sandbox's least-privilege grant; every ACL of its own set is used`, async () => {
      const r = await run(c.grant, undefined, c.runbook);
      expect(missingOf(r.granted)).toEqual([]);
      expect(r.known.ok).toBe(true);
      expect(r.granted.ok).toBe(true);
      // Every ACL of the runbook's own set is used by some step: none is superfluous.
      const used = r.acls.filter((a) => a.verdict === 'granted');
      for (const a of c.own) {
        const hit = used.some(
          (u) =>
            u.cluster === a.cluster &&
            u.resource === a.resource &&
            u.operation === a.operation &&
            (a.pattern === 'prefixed' ? u.name.startsWith(a.name) : u.name === a.name),
        );
        expect({ acl: a, used: hit }).toEqual({ acl: a, used: true });
      }
    });

    it(`${c.name}: removing any one ACL of its own set blocks, naming it (resource, name, operation, principal, cluster): missing, or unknown for CREATE`, async () => {
      for (const a of c.own) {
        const r = await run(
          c.grant.filter((g) => g !== a),
          undefined,
          c.runbook,
        );
        // CREATE of a topic that does not exist yet: without CREATE on the name, only CREATE on the cluster could allow
        // it, which Kafka does not show to a principal without DESCRIBE on the cluster: unknown, and the run blocks.
        const gate = a.operation === 'CREATE' ? r.known : r.granted;
        const listed = (gate.observed as { missing?: string[]; unknown?: string[] })[a.operation === 'CREATE' ? 'unknown' : 'missing']!;
        const named = listed.some(
          (m) => m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}`) && m.includes(`" ${a.operation} for User:failover`),
        );
        expect({ acl: a, ok: gate.ok, named, listed }).toMatchObject({ acl: a, ok: false, named: true });
        // Nothing else is reported: every line is about the removed binding's resource (DESCRIBE, implied by the
        // removed READ, may be named beside it).
        const all = [...missingOf(r.granted), ...(r.known.observed as { unknown: string[] }).unknown];
        for (const m of all) expect(m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}`), m).toBe(true);
      }
    });
  }

  it("the active-active move's translate step declares both paths: the flow's checkpoints, the opposite flow's offset syncs, the target's topics' copies on the source", async () => {
    const r = await run([], undefined, { file: 'runbooks/active-active-move.yaml', flow, flows: [flow, flowOf('dr', 'primary')] });
    const translate = (cluster: string, name: string) =>
      r.acls.some((a) => a.cluster === cluster && a.name === name && a.operation === 'READ' && a.steps.includes('translate'));
    expect({
      checkpoints: translate('dr', 'primary.checkpoints.internal'),
      oppositeSyncs: translate('dr', 'mm2-offset-syncs.primary.internal'),
      copiesOnSource: translate('primary', 'dr.orders-1'),
      ownOnTarget: translate('dr', 'orders-1'),
    }).toEqual({ checkpoints: true, oppositeSyncs: true, copiesOnSource: true, ownOnTarget: true });
    expect(r.granted.ok).toBe(false);
  });

  it('the emergency failover (target only) passes with the planned failover set alone', async () => {
    const r = await run(sandbox, undefined, { file: 'runbooks/emergency-failover.yaml', flow });
    expect(missingOf(r.granted)).toEqual([]);
    expect(r.known.ok).toBe(true);
  });

  it('a source that does not answer leaves its ACLs unknown (acls-known fails), never granted', async () => {
    const r = await run(sandbox, { primary: false, dr: true });
    expect(r.known.ok).toBe(false);
    expect((r.known.observed as { unknown: string[] }).unknown.some((u) => u.startsWith('primary: GROUP "billing-1" DESCRIBE'))).toBe(true);
  });
});

describe('judge', () => {
  const answer = (o: Partial<AuthorizedOperations>): AuthorizedOperations => ({ cluster: null, topics: new Map(), groups: new Map(), ...o });
  const need = { cluster: 'dr', resource: 'topic' as const, name: 't', operation: 'CREATE' as const, ifMissing: true };

  it('CREATE of a missing topic: granted by CREATE on the topic or the cluster; unknown when the cluster cannot be seen', () => {
    const t = (ops: string[], exists: boolean) => new Map([['t', { operations: ops as never, describeDenied: false, exists }]]);
    expect(judge(need, answer({ topics: t(['DESCRIBE'], true) })).verdict).toBe('not-needed');
    expect(judge(need, answer({ topics: t(['CREATE', 'DESCRIBE'], false) })).verdict).toBe('granted');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false), cluster: ['CREATE', 'DESCRIBE'] })).verdict).toBe('granted');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false), cluster: ['DESCRIBE'] })).verdict).toBe('missing');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false) }))).toMatchObject({
      verdict: 'unknown',
      reason: expect.stringContaining('DESCRIBE on the cluster'),
    });
  });

  it('a resource the cluster refuses to describe: operations implying DESCRIBE are missing, others unknown', () => {
    const denied = answer({ groups: new Map([['g', { operations: null, describeDenied: true, exists: null }]]) });
    expect(judge({ cluster: 'dr', resource: 'group', name: 'g', operation: 'READ' }, denied).verdict).toBe('missing');
    expect(judge({ cluster: 'dr', resource: 'group', name: 'g', operation: 'DESCRIBE_CONFIGS' }, denied).verdict).toBe('unknown');
  });
});

describe('literalAlternatives', () => {
  it('names only a plain alternation of literal names', () => {
    expect(literalAlternatives('billing|shipping')).toEqual(['billing', 'shipping']);
    expect(literalAlternatives('^(a\\.b|c-1)$')).toEqual(['a.b', 'c-1']);
    expect(literalAlternatives('billing-.*')).toBeNull();
    expect(literalAlternatives('(a)|(b)')).toBeNull();
  });
});

describe("check's failover-acls-missing finding", () => {
  it('none with the sandbox grant; one naming each missing ACL when a binding is taken away', async () => {
    const { checkFailoverAcls } = await import('../../../src/check/acl-checks.js');
    const grant = sandbox;
    const ok = clusters(grant);
    expect((await checkFailoverAcls(flow, ok.primary.port(), ok.dr.port(), /.*/)).findings).toEqual([]);
    const without = clusters(grant.filter((a) => !(a.cluster === 'dr' && a.resource === 'group' && a.name === 'billing')));
    const r = await checkFailoverAcls(flow, without.primary.port(), without.dr.port(), /.*/);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: 'failover-acls-missing', severity: 'high', where: 'primary->dr' });
    expect((r.findings[0]!.evidence as { missing: string[] }).missing).toEqual([
      'dr: GROUP "billing-1" DESCRIBE for User:failover (steps check-target-groups, validate) — the cluster refuses even to describe it',
      'dr: GROUP "billing-1" READ for User:failover (step reset-consumer-groups) — the cluster refuses even to describe it',
    ]);
  });
});

/**
 * runbooks/aggregate-move.yaml (requireFlow: false): agg1's groups move to agg2 over the aggregate sandbox's graph —
 * regions r1, r2 replicating into both aggregates (r1->agg1, r2->agg1, r1->agg2, r2->agg2), no flow between agg1 and
 * agg2. The grant below is written from what the move reads and writes (docs/design/topologies.md, path 3), not from
 * the declarations, so the derivation is checked against it.
 */
describe('check-permissions on a move without a flow (aggregate-move.yaml)', () => {
  const regions = ['r1', 'r2'] as const;
  const aggs = ['agg1', 'agg2'] as const;
  const flows = regions.flatMap((r) => aggs.map((a) => flowOf(r, a)));
  const pair = movePair('agg1', 'agg2');
  type Grant = { cluster: string; resource: 'topic' | 'group'; pattern: 'literal'; name: string; operation: SandboxAcl['operation'] };
  const g = (cluster: string, resource: Grant['resource'], name: string, operation: Grant['operation']): Grant => ({
    cluster,
    resource,
    pattern: 'literal',
    name,
    operation,
  });
  const groups = ['billing', 'shipping'];
  const grant: Grant[] = [
    // agg1 (X): the groups' committed offsets; the regions' copies, read for record match (hop 1).
    ...groups.map((n) => g('agg1', 'group', n, 'DESCRIBE')),
    ...regions.map((r) => g('agg1', 'topic', `${r}.orders`, 'READ')),
    // agg2 (Y): the groups' commits (READ); the regions' copies (hop 2, commit); the tool's own topics.
    ...groups.map((n) => g('agg2', 'group', n, 'READ')),
    ...regions.map((r) => g('agg2', 'topic', `${r}.orders`, 'READ')),
    ...[LEASE_TOPIC, ANCHOR_TOPIC, 'kafka-failover-canary'].flatMap((t) => (['CREATE', 'WRITE', 'READ'] as const).map((op) => g('agg2', 'topic', t, op))),
    // Each region (Z): its original topic, both flows' offset syncs (MM2's default: on the source), and the moved
    // groups listed for stop-covers-writers (ListGroups shows only groups the principal may DESCRIBE).
    ...regions.flatMap((r) => [
      g(r, 'topic', 'orders', 'READ'),
      g(r, 'topic', 'mm2-offset-syncs.agg1.internal', 'READ'),
      g(r, 'topic', 'mm2-offset-syncs.agg2.internal', 'READ'),
      ...groups.map((n) => g(r, 'group', n, 'DESCRIBE')),
    ]),
  ];

  async function runAggregate(acls: Grant[], o: { down?: string[]; clusters?: 'both' | 'target'; topics?: string } = {}) {
    const c = Object.fromEntries([...regions, ...aggs].map((a) => [a, new MemoryKafka(a)])) as Record<string, MemoryKafka>;
    for (const r of regions) for (const t of ['orders', 'mm2-offset-syncs.agg1.internal', 'mm2-offset-syncs.agg2.internal']) c[r]!.topic(t);
    for (const a of aggs) for (const t of ['r1.orders', 'r2.orders', 'r1.checkpoints.internal', 'r2.checkpoints.internal', 'heartbeats']) c[a]!.topic(t);
    for (const n of groups) c.agg1!.commit(n, 'r1.orders', 0, 1);
    for (const [alias, k] of Object.entries(c)) k.acls = acls.filter((a) => a.cluster === alias);
    const registry = builtinRegistry();
    const loaded = await loadRunbook('runbooks/aggregate-move.yaml', registry, {});
    const view = lookAheadView(loaded, registry, pair);
    const notes: string[] = [];
    const ctx = {
      stepId: 'permissions',
      flow: pair,
      flows,
      kafka: (a: string) => c[a]!.port(),
      reachable: async (a: string) => !o.down?.includes(a),
      note: (m: string) => notes.push(m),
      runbook: view,
    } as unknown as StepContext;
    const step = view.steps.find((st) => st.id === 'permissions')!;
    const r = await checkPermissions.check(
      ctx,
      checkPermissions.input.parse({ ...step.with, ...(o.clusters ? { clusters: o.clusters } : {}), ...(o.topics ? { topics: o.topics } : {}) }),
    );
    const gate = (id: string) => r.gates!.find((x: GateResult) => x.id === id)!;
    return { granted: gate('acls-granted'), known: gate('acls-known'), acls: (r.outputs as { acls: CheckedAcl[] }).acls, notes };
  }
  const same = (u: CheckedAcl, a: Grant) => u.cluster === a.cluster && u.resource === a.resource && u.operation === a.operation && u.name === a.name;

  it('is the first step, and passes with exactly the move grant; every ACL of the grant is used', async () => {
    const loaded = await loadRunbook('runbooks/aggregate-move.yaml', builtinRegistry(), {});
    expect(loaded.runbook.steps[0]).toMatchObject({ id: 'permissions', kind: 'check-permissions' });
    const r = await runAggregate(grant);
    expect(missingOf(r.granted)).toEqual([]);
    expect((r.known.observed as { unknown: string[] }).unknown).toEqual([]);
    expect(r.granted.ok && r.known.ok).toBe(true);
    const used = r.acls.filter((a) => a.verdict === 'granted');
    for (const a of grant) expect({ acl: a, used: used.some((u) => same(u, a)) }).toEqual({ acl: a, used: true });
    // Nothing is declared beyond the grant: every need is one of its bindings (or implied by one: READ → DESCRIBE).
    for (const u of r.acls) {
      const by = grant.some((a) => same(u, a) || (u.operation === 'DESCRIBE' && same({ ...u, operation: 'READ' }, a)));
      expect({ need: `${u.cluster} ${u.resource} ${u.name} ${u.operation}`, inGrant: by }).toMatchObject({ inGrant: true });
    }
    expect(r.notes[0]).toContain('needed on agg1, agg2, r1, r2');
  });

  it('declares no read of a flow the move pair lacks (no agg1->agg2 checkpoints or offset syncs, no agg2->agg1)', async () => {
    const r = await runAggregate(grant);
    // On the aggregates: no MM2 internal topic of a flow between them, no copy named after one of them.
    const ofThePair = r.acls.filter(
      (a) =>
        aggs.includes(a.cluster as 'agg1') && (a.name.startsWith('mm2-offset-syncs') || a.name.endsWith('checkpoints.internal') || /^agg[12]\./.test(a.name)),
    );
    expect(ofThePair.map((a) => `${a.cluster}: ${a.name} ${a.operation} (${a.steps.join(', ')})`)).toEqual([]);
  });

  it('removing any one ACL of the grant blocks, naming it (missing; unknown for CREATE of a topic not there yet)', async () => {
    for (const a of grant) {
      const r = await runAggregate(grant.filter((x) => x !== a));
      const gate = a.operation === 'CREATE' ? r.known : r.granted;
      const listed = (gate.observed as { missing?: string[]; unknown?: string[] })[a.operation === 'CREATE' ? 'unknown' : 'missing']!;
      const named = listed.some((m) => m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}" ${a.operation} for User:failover`));
      expect({ acl: a, ok: gate.ok, named, listed }).toMatchObject({ acl: a, ok: false, named: true });
      const all = [...missingOf(r.granted), ...(r.known.observed as { unknown: string[] }).unknown];
      for (const m of all) expect(m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}"`), m).toBe(true);
    }
  });

  it("topics given as a pattern are listed on the source aggregate, whose copies stand for the regions' topics: the same grant passes", async () => {
    const r = await runAggregate(grant, { topics: '.*orders' });
    expect(missingOf(r.granted)).toEqual([]);
    expect(r.granted.ok && r.known.ok).toBe(true);
    expect(
      r.acls
        .filter((a) => a.cluster === 'r1' && a.resource === 'topic')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['mm2-offset-syncs.agg1.internal', 'mm2-offset-syncs.agg2.internal', 'orders']);
  });

  it('a third cluster that does not answer leaves its ACLs unknown (acls-known fails), never granted', async () => {
    const r = await runAggregate(grant, { down: ['r2'] });
    expect(r.known.ok).toBe(false);
    const unknown = (r.known.observed as { unknown: string[] }).unknown;
    expect(unknown.some((u) => u.startsWith('r2: TOPIC "mm2-offset-syncs.agg2.internal" READ'))).toBe(true);
    expect(unknown.every((u) => u.startsWith('r2: '))).toBe(true);
    expect(r.acls.filter((a) => a.cluster === 'r2').every((a) => a.verdict === 'unknown')).toBe(true);
  });

  it("clusters: 'target' asks only the target aggregate", async () => {
    const r = await runAggregate(
      grant.filter((a) => a.cluster === 'agg2'),
      { down: ['agg1', 'r1', 'r2'], clusters: 'target' },
    );
    expect([...new Set(r.acls.map((a) => a.cluster))]).toEqual(['agg2']);
    expect(r.granted.ok && r.known.ok).toBe(true);
  });
});
