/**
 * Kafka Connect REST, the way steps control MirrorMaker 2 running as Connect connectors (`flows[].mm2.connect`):
 * `PUT /connectors/{name}/pause|resume|stop` and `GET /connectors/{name}/status` (Kafka Connect REST API; `stop` needs
 * Kafka 3.5+). A port, so steps reach Connect only through their context (`ctx.connect(…)`) and unit tests can
 * replace it; {@link createConnectPort} implements it over `fetch`.
 *
 * Secrets: the basic-auth password (`auth.passwordEnv` / `auth.passwordFile`) is read when a request is sent and only
 * ever goes into the `authorization` header; {@link ConnectPort.describe} and every error show the URL redacted
 * (no user info, no query string) and the user name only.
 */
import { connectAuthHeaders, redactUrl } from '../clusters/load.js';
import type { ConnectAuth } from '../clusters/schema.js';

/** Where a Connect REST API answers and how to log in: `flows[].mm2.connect` of the clusters file. */
export interface ConnectTarget {
  /** Base URL, e.g. `https://connect:8083` (a trailing `/` is ignored). */
  url: string;
  auth?: ConnectAuth | undefined;
}

/** The connector state changes the port can request. */
export type ConnectorAction = 'pause' | 'resume' | 'stop';

/** A request as the audit log records it: redacted URL, the user of basic auth (never its password). */
export type ConnectRequestDescription = {
  method: 'PUT' | 'PATCH';
  url: string;
  auth?: string;
};

/** Connect answered a request with a non-2xx status; the message names the redacted URL, status and body. */
export class ConnectRestError extends Error {
  constructor(
    message: string,
    /** The HTTP status Connect answered with. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ConnectRestError';
  }
}

/** Options of one request: `timeoutMs` bounds it (ms) from sending to the end of the response. */
export interface ConnectRequestOptions {
  timeoutMs: number;
}

/** Controls the connectors of one Connect cluster. */
export interface ConnectPort {
  /** What {@link ConnectPort.pause}/resume/stop of `connector` sends, for the write's audit record. */
  describe(connector: string, action: ConnectorAction): ConnectRequestDescription;
  /** `PUT /connectors/{connector}/pause`. @returns the 2xx status. @throws ConnectRestError on another status. */
  pause(connector: string, options: ConnectRequestOptions): Promise<{ status: number }>;
  /** `PUT /connectors/{connector}/resume`. @returns the 2xx status. @throws ConnectRestError on another status. */
  resume(connector: string, options: ConnectRequestOptions): Promise<{ status: number }>;
  /** `PUT /connectors/{connector}/stop` (Kafka 3.5+). @returns the 2xx status. @throws ConnectRestError on another status. */
  stop(connector: string, options: ConnectRequestOptions): Promise<{ status: number }>;
  /**
   * `GET /connectors/{connector}/status`: connector and task states, e.g. `{connector: 'RUNNING', tasks: ['RUNNING']}`.
   * @throws ConnectRestError on a non-2xx status.
   */
  status(connector: string, options: ConnectRequestOptions): Promise<{ connector: string; tasks: string[] }>;
  /**
   * `PATCH /connectors/{connector}/offsets` (Kafka 3.6+, KIP-875): sets source offsets of a STOPPED connector, e.g.
   * `[{partition: {cluster: 'dr', partition: 0, topic: 'orders'}, offset: {offset: 41}}]`. Optional: a port that
   * cannot throws when asked.
   * @throws ConnectRestError on a non-2xx status (Connect answers 400/409 while the connector is not STOPPED).
   */
  alterOffsets?(connector: string, offsets: ConnectSourceOffset[], options: ConnectRequestOptions): Promise<{ status: number }>;
  /** `GET /connectors/{connector}/offsets` (Kafka 3.5+): the connector's source offsets. @throws ConnectRestError on a non-2xx status. */
  offsets?(connector: string, options: ConnectRequestOptions): Promise<ConnectSourceOffset[]>;
}

/** One source offset as the Connect offsets API carries it: the connector's partition map and offset map. */
export interface ConnectSourceOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

/**
 * A {@link ConnectPort} over `fetch`. The password of `target.auth` is read (from its variable or file) per request.
 * Network failures and timeouts reject with fetch's own errors (`TypeError`, `TimeoutError`).
 * @throws InvalidInputError (on a request) when the auth password's variable is unset or its file unreadable.
 */
export function createConnectPort(target: ConnectTarget): ConnectPort {
  const url = (connector: string, tail: string) => `${target.url.replace(/\/$/, '')}/connectors/${encodeURIComponent(connector)}/${tail}`;
  const describe = (connector: string, action: ConnectorAction): ConnectRequestDescription => ({
    method: 'PUT',
    url: redactUrl(url(connector, action)),
    ...(target.auth ? { auth: `basic (${target.auth.username})` } : {}),
  });
  const put = async (connector: string, action: ConnectorAction, o: ConnectRequestOptions) => {
    const full = url(connector, action);
    const res = await fetch(full, { method: 'PUT', headers: connectAuthHeaders(target.auth), signal: AbortSignal.timeout(o.timeoutMs) });
    if (!res.ok) throw new ConnectRestError(`PUT ${redactUrl(full)}: HTTP ${res.status} ${await res.text()}`, res.status);
    return { status: res.status };
  };
  return {
    describe,
    async alterOffsets(connector, offsets, o) {
      const full = url(connector, 'offsets');
      const res = await fetch(full, {
        method: 'PATCH',
        headers: { ...connectAuthHeaders(target.auth), 'content-type': 'application/json' },
        body: JSON.stringify({ offsets }),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      if (!res.ok) throw new ConnectRestError(`PATCH ${redactUrl(full)}: HTTP ${res.status} ${await res.text()}`, res.status);
      return { status: res.status };
    },
    async offsets(connector, o) {
      const full = url(connector, 'offsets');
      const res = await fetch(full, { headers: connectAuthHeaders(target.auth), signal: AbortSignal.timeout(o.timeoutMs) });
      if (!res.ok) throw new ConnectRestError(`GET ${redactUrl(full)}: HTTP ${res.status} ${await res.text()}`, res.status);
      return ((await res.json()) as { offsets: ConnectSourceOffset[] }).offsets;
    },
    pause: (connector, o) => put(connector, 'pause', o),
    resume: (connector, o) => put(connector, 'resume', o),
    stop: (connector, o) => put(connector, 'stop', o),
    async status(connector, o) {
      const full = url(connector, 'status');
      const res = await fetch(full, { headers: connectAuthHeaders(target.auth), signal: AbortSignal.timeout(o.timeoutMs) });
      if (!res.ok) throw new ConnectRestError(`GET ${redactUrl(full)}: HTTP ${res.status} ${await res.text()}`, res.status);
      const body = (await res.json()) as { connector: { state: string }; tasks: { state: string }[] };
      return { connector: body.connector.state, tasks: body.tasks.map((t) => t.state) };
    },
  };
}
