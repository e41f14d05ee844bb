/**
 * Checking that the sandbox's ports are free before anything starts, so a clash is reported with the port, who
 * wanted it, and the option that moves the sandbox — not as a broker dying with a BindException.
 */
import net from 'node:net';
import { InvalidInputError } from '../../errors.js';

/** First port of Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
export const EPHEMERAL_START = 32768;

/** True when 127.0.0.1:`port` can be bound now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * @throws InvalidInputError naming every taken port and its intended owner, with the `--port-base` hint.
 */
export async function requirePortsFree(ports: { port: number; owner: string }[], portBase: number): Promise<void> {
  const taken: string[] = [];
  for (const p of ports) if (!(await portFree(p.port))) taken.push(`${p.port} (wanted by ${p.owner})`);
  if (taken.length > 0) {
    // Ports from 32768 up are Linux's default ephemeral range: outgoing connections may hold them for a moment.
    const ephemeral = ports.some((p) => p.port >= EPHEMERAL_START)
      ? ` Ports from ${EPHEMERAL_START} up are handed to outgoing connections by the OS; prefer a base below ${EPHEMERAL_START - 100}.`
      : '';
    throw new InvalidInputError(`Port${taken.length > 1 ? 's' : ''} already in use on 127.0.0.1: ${taken.join(', ')}.`, {
      hint: `Stop whatever holds ${taken.length > 1 ? 'them' : 'it'}, or move the whole sandbox with --port-base <n> (now ${portBase}; the sandbox uses ports n+2 … n+20, up to n+27 with a WAN link).${ephemeral}`,
    });
  }
}
