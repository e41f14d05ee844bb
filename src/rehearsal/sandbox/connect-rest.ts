/**
 * The few Kafka Connect REST calls the sandbox makes to run MirrorMaker 2 in connect mode
 * (Kafka Connect REST API: `PUT /connectors/{name}/config`, `GET /connectors/{name}/status`).
 */

/** Creates or updates a connector (idempotent). @throws Error with the HTTP status and body when refused. */
export async function putConnector(restUrl: string, name: string, config: Record<string, string>): Promise<void> {
  const res = await fetch(`${restUrl}/connectors/${encodeURIComponent(name)}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`PUT connector ${name}: HTTP ${res.status} ${await res.text()}`);
}

/** Connector and task states, e.g. `{connector: 'RUNNING', tasks: ['RUNNING']}`. @throws Error on HTTP failure. */
export async function connectorStatus(restUrl: string, name: string): Promise<{ connector: string; tasks: string[] }> {
  const res = await fetch(`${restUrl}/connectors/${encodeURIComponent(name)}/status`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET status of ${name}: HTTP ${res.status}`);
  const body = (await res.json()) as { connector: { state: string }; tasks: { state: string }[] };
  return { connector: body.connector.state, tasks: body.tasks.map((t) => t.state) };
}

/** True when the worker's REST API answers `GET /`. */
export async function workerUp(restUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${restUrl}/`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}
