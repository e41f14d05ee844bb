import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

/**
 * A kafkajs socket factory that can be told to refuse every new connection (each fails at once), so a client whose
 * disconnect hangs on a dead cluster can never reach it again when it restarts — kafkajs has no way to kill a client.
 * Until then it connects as kafkajs's default factory does (kafkajs src/network/socketFactory.js: TLS when `ssl` is
 * set, with SNI).
 */
export function closableSockets(): { socketFactory: ISocketFactory; refuseNew: () => void; refusing: () => boolean } {
  let refusing = false;
  const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    if (refusing) {
      const dead = new net.Socket();
      setImmediate(() => dead.destroy(new Error('traffic consumer stopped')));
      return dead;
    }
    return ssl
      ? tls.connect({ host, port, ...(host && !net.isIP(host) ? { servername: host } : {}), ...(typeof ssl === 'object' ? ssl : {}) }, onConnect)
      : net.connect({ host, port }, onConnect);
  };
  return {
    socketFactory,
    refuseNew: () => {
      refusing = true;
    },
    refusing: () => refusing,
  };
}
