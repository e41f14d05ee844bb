/**
 * `kafka-failover audit verify <file>`: the hash chain, then the anchor on the run's target cluster when it answers
 * (docs/design/audit-anchor.md). Verdicts: `OK` (exit 0), `OPEN` (exit 7: intact, no run.finished), `BROKEN` (exit 1,
 * the first bad record).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { clientSettings, loadClustersFile } from '../clusters/load.js';
import { auditHead, judgeAudit, readAnchor, AUDIT_OPEN_EXIT, type AnchorLookup } from '../engine/audit-anchor.js';
import { InvalidInputError } from '../errors.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';

/**
 * Looks the run's anchor up on the target of its flow. The clusters file is `--clusters`, else the one the run's
 * run.json (beside the audit log) names. Never throws: a cluster that cannot be read is reported as unreachable.
 */
async function lookupAnchor(file: string, text: string, clustersOption: string | undefined): Promise<AnchorLookup> {
  const head = auditHead(text);
  if (!head.runId || !head.flow) return { reachable: false, reason: 'the log names no run or flow' };
  const target = head.flow.split('->')[1] ?? '';
  let clustersFile = clustersOption;
  if (!clustersFile) {
    try {
      clustersFile = (JSON.parse(await readFile(path.join(path.dirname(file), 'run.json'), 'utf8')) as { clustersFile?: string }).clustersFile;
    } catch {
      return { reachable: false, reason: 'no run.json beside the log to name the clusters file; give --clusters' };
    }
  }
  if (!clustersFile) return { reachable: false, reason: 'no clusters file; give --clusters' };
  try {
    const loaded = await loadClustersFile(clustersFile);
    const port = createKafkaPort(target, clientSettings(loaded, target));
    try {
      const anchor = await readAnchor(port, head.runId);
      return anchor ? { reachable: true, cluster: target, anchor } : { reachable: true, cluster: target };
    } finally {
      await port.close().catch(() => {});
    }
  } catch (error) {
    return { reachable: false, reason: `${target} did not answer: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` };
  }
}

export function registerAuditCommands(program: Command, setExit: (code: number) => void): void {
  const audit = program.command('audit').description('audit log tools');
  audit
    .command('verify <file>')
    .description(
      `check an audit log's hash chain and its anchor on the target cluster: OK, OPEN (exit ${AUDIT_OPEN_EXIT}: intact, run not finished) or BROKEN (exit 1, the first bad record)`,
    )
    .option('--clusters <file>', "clusters file to reach the anchor (default: the one in the run's run.json)")
    .option('--no-anchor', 'check the hash chain only; do not contact the cluster')
    .action(async (file: string, o: { clusters?: string; anchor: boolean }) => {
      const text = await readFile(file, 'utf8').catch(() => {
        throw new InvalidInputError(`Cannot read ${file}.`, { hint: "Give the path of a run's audit.jsonl." });
      });
      const lookup: AnchorLookup = o.anchor ? await lookupAnchor(file, text, o.clusters) : { reachable: false, reason: 'not checked (--no-anchor)' };
      const v = judgeAudit(text, lookup);
      if (v.verdict === 'OK') process.stdout.write(`${file}: OK, ${v.records} records, hash chain intact, ${v.note}\n`);
      else if (v.verdict === 'OPEN') {
        process.stdout.write(`${file}: OPEN, ${v.records} records, hash chain intact, ${v.note}\n`);
        setExit(AUDIT_OPEN_EXIT);
      } else {
        process.stdout.write(`${file}: BROKEN at record ${v.line} of ${v.records}: ${v.reason}\n`);
        setExit(1);
      }
    });
}
