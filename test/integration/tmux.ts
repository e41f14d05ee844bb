/**
 * A pseudo-terminal for end-to-end tests of the interactive CLI: a private tmux server (its own socket) running a
 * plain bash; keys go in with `send-keys`, the screen (with its scrollback, wrapped lines joined) comes out with
 * `capture-pane`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export class Tmux {
  private readonly socket = `kf-e2e-${process.pid}-${Date.now()}`;
  private readonly target = 'e2e';

  /** Starts bash in a 220×50 terminal in `cwd`, with `env` (history kept: 50,000 lines). */
  async start(cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
    const conf = path.join(os.tmpdir(), `${this.socket}.conf`);
    writeFileSync(conf, 'set -g history-limit 50000\nset -g remain-on-exit on\n');
    await execa(
      'tmux',
      ['-L', this.socket, '-f', conf, 'new-session', '-d', '-s', this.target, '-x', '220', '-y', '50', '-c', cwd, 'bash --norc --noprofile'],
      { env, extendEnv: false },
    );
  }

  /** Sends tmux key names (e.g. `Enter`, `Down`, `C-c`). */
  async keys(...keys: string[]): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', this.target, ...keys]);
  }

  /** Types text literally (no key-name interpretation), without Enter. */
  async type(text: string): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', this.target, '-l', text]);
  }

  /** Types a line and presses Enter. */
  async line(text: string): Promise<void> {
    await this.type(text);
    await this.keys('Enter');
  }

  /** The whole screen and scrollback as text. */
  async screen(): Promise<string> {
    return (await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-', '-t', this.target])).stdout;
  }

  /**
   * Waits until `re` matches the screen text after position `from` (ms timeout); returns the match and its end.
   * @throws with the screen's last 60 lines when it does not appear in time.
   */
  async waitFor(re: RegExp, from = 0, timeoutMs = 120_000): Promise<{ match: RegExpExecArray; end: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.screen();
      const m = re.exec(text.slice(from));
      if (m) return { match: m, end: from + m.index + m[0].length };
      if (Date.now() > deadline) throw new Error(`screen never showed ${re} (after char ${from}); last lines:\n${text.split('\n').slice(-60).join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async kill(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }
}
