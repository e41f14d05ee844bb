/**
 * SASL/OAUTHBEARER tokens for kafkajs (`sasl.oauthBearerProvider`, kafkajs 2.2 src/broker/saslAuthenticator/
 * oauthBearer.js): from a command, a file or an environment variable (clusters file `sasl.tokenCommand`,
 * `tokenFile`, `tokenEnv`). The token is fetched again at every authentication (kafkajs calls the provider once per
 * connection), so a rotated file or a fresh command output is picked up; it is never logged, and no message quotes
 * it or the command's output.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { KafkaFailoverError } from '../errors.js';

/** Where a cluster's token comes from (paths already resolved from the clusters file's folder). */
export type TokenSource = { tokenCommand: string[] } | { tokenFile: string } | { tokenEnv: string };

/** The token could not be had: the source named (field, command, file, variable name), never a value. Exit 1. */
export class TokenSourceError extends KafkaFailoverError {}

/** How long a token command may run (ms). */
export const TOKEN_COMMAND_TIMEOUT_MS = 30_000;

/**
 * Fetches one token.
 * @param what the field, e.g. `clusters.primary.sasl` (for messages).
 * @throws TokenSourceError when the command fails or prints nothing, the file is unreadable or empty, or the
 *   variable is unset or empty.
 */
export async function fetchToken(what: string, source: TokenSource, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let token: string;
  if ('tokenCommand' in source) {
    const [cmd, ...args] = source.tokenCommand;
    const r = await execa(cmd!, args, { reject: false, timeout: TOKEN_COMMAND_TIMEOUT_MS, env, extendEnv: false, stdin: 'ignore' });
    if (r.failed)
      throw new TokenSourceError(
        `${what}.tokenCommand (${cmd}) ${r.timedOut ? `did not finish within ${TOKEN_COMMAND_TIMEOUT_MS / 1000} s` : r.exitCode === undefined ? 'could not be started' : `exited with code ${r.exitCode}`}; its output is not shown (it may hold secrets).`,
        { hint: `Run the command by hand and check that it prints only the token; the path is taken as written (${cmd}).` },
      );
    token = String(r.stdout).trim();
  } else if ('tokenFile' in source) {
    try {
      token = readFileSync(source.tokenFile, 'utf8').trim();
    } catch {
      throw new TokenSourceError(`${what}.tokenFile: cannot read ${source.tokenFile}.`, { hint: 'Give a readable file holding only the token.' });
    }
  } else {
    token = (env[source.tokenEnv] ?? '').trim();
  }
  if (!token)
    throw new TokenSourceError(
      `${what}: the ${'tokenCommand' in source ? 'token command printed' : 'tokenFile' in source ? 'token file holds' : 'environment variable named by tokenEnv holds'} no token.`,
      {
        hint: 'The token is the only content expected (a JWT: header.payload.signature).',
      },
    );
  return token;
}

/** A kafkajs `oauthBearerProvider` for a token source. */
export function oauthBearerProvider(what: string, source: TokenSource, env: NodeJS.ProcessEnv = process.env): () => Promise<{ value: string }> {
  return async () => ({ value: await fetchToken(what, source, env) });
}

/** Resolves a clusters-file token source: `tokenFile` from `baseDir`; a relative `tokenCommand[0]` containing `/` too. */
export function resolveTokenSource(s: { tokenCommand?: string[]; tokenFile?: string; tokenEnv?: string }, baseDir: string): TokenSource {
  if (s.tokenCommand) {
    const [cmd, ...rest] = s.tokenCommand;
    return { tokenCommand: [cmd!.includes('/') ? path.resolve(baseDir, cmd!) : cmd!, ...rest] };
  }
  if (s.tokenFile) return { tokenFile: path.resolve(baseDir, s.tokenFile) };
  return { tokenEnv: s.tokenEnv! };
}
