import { createRequire } from 'node:module';

/** The tool's version, from package.json (recorded in audit logs and `--version`). */
export const TOOL_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
