/**
 * A child process for the local-lock tests (lock-local.test.ts bundles it with esbuild and runs it with plain node).
 * argv: <runs dir> <pair> <run id> [host]. Prints `ready`; each `go [run id]` line on stdin tries the local lock once
 * (as a new holder, with its own token) and prints `{"held":true}` or `{"held":false,"error":"…"}`. A holder keeps
 * the lock until `release` (releases, exits), or until stdin closes or it is killed (it exits without releasing: a
 * stale lock).
 */
import { createInterface } from 'node:readline';
import { holderFor, takeLocalLock, type LockHolder } from '../../../src/engine/lock.js';

const [runsDir, pair, runId, host] = process.argv.slice(2) as [string, string, string, string | undefined];
const holder = (id: string): LockHolder => ({ ...holderFor(id, 'racer'), ...(host ? { host } : {}) });
let release: (() => void) | undefined;
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.startsWith('go')) {
    try {
      release = takeLocalLock(runsDir, pair, holder(line.slice(3) || runId), false).release;
      process.stdout.write(`${JSON.stringify({ held: true })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ held: false, error: (error as Error).message })}\n`);
    }
  } else if (line === 'release') {
    release?.();
    process.exit(0);
  }
});
lines.on('close', () => process.exit(0));
process.stdout.write('ready\n');
