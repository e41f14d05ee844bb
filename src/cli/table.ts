/** Tables for human output: cli-table3 with no colours and no rule between rows (compact, still aligned). */
import Table from 'cli-table3';

const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** A table with these column heads; push rows, then `toString()`. */
export function table(head: string[], options: Omit<ConstructorParameters<typeof Table>[0] & object, 'head'> = {}): InstanceType<typeof Table> {
  return new Table({ head, style: { head: [], border: [] }, chars: COMPACT, ...options });
}
