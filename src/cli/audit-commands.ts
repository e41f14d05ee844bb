/** `kafka-failover audit verify <file>`: OK with the record count, or the first broken record (exit 1). */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { verifyAuditText } from '../engine/audit.js';
import { InvalidInputError } from '../errors.js';

export function registerAuditCommands(program: Command, setExit: (code: number) => void): void {
  const audit = program.command('audit').description('audit log tools');
  audit
    .command('verify <file>')
    .description('check an audit log\'s hash chain: OK, or the first broken record')
    .action(async (file: string) => {
      const text = await readFile(file, 'utf8').catch(() => {
        throw new InvalidInputError(`Cannot read ${file}.`, { hint: 'Give the path of a run\'s audit.jsonl.' });
      });
      const r = verifyAuditText(text);
      if (r.ok) process.stdout.write(`${file}: OK, ${r.records} records, hash chain intact\n`);
      else {
        process.stdout.write(`${file}: BROKEN at record ${r.line} of ${r.records}: ${r.reason}\n`);
        setExit(1);
      }
    });
}
