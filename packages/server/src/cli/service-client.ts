import { Option, type Command } from 'commander';

/** How the operator subcommands reach a running service. */
export interface ServiceOptions {
  url: string;
  token?: string;
  json?: boolean;
}

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:4000';

/** Adds --url, --token and --json, which every subcommand that talks to a running service takes. */
export function withServiceOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'base URL of the service').env('AUDIT_LEDGER_URL').default(DEFAULT_SERVICE_URL))
    .addOption(new Option('--token <token>', 'operator token (or a tenant admin key)').env('AUDIT_LEDGER_ADMIN_TOKEN'))
    .addOption(new Option('--json', 'print the service answer as JSON'));
}

interface Problem {
  title?: unknown;
  status?: unknown;
  detail?: unknown;
  errors?: unknown;
}

function describeProblem(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Problem;
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
  const lines = [typeof problem.detail === 'string' ? `${title} (${status}): ${problem.detail}` : `${title} (${status})`];
  if (Array.isArray(problem.errors)) {
    for (const item of problem.errors as { path?: unknown; message?: unknown }[]) {
      lines.push(`  ${String(item.path)}: ${String(item.message)}`);
    }
  }
  return lines.join('\n');
}

/**
 * One authenticated JSON call. Resolves with the parsed answer (undefined for 204); rejects with an Error whose
 * message is what the operator should read: the service's problem detail, or why it could not be reached.
 */
export async function callService(
  options: ServiceOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  if (options.token === undefined || options.token === '') {
    throw new Error('no token: pass --token or set AUDIT_LEDGER_ADMIN_TOKEN');
  }
  let url: URL;
  try {
    url = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
  } catch {
    throw new Error(`--url is not a URL: ${options.url}`);
  }
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new Error(`cannot reach the service at ${url.origin}: ${cause}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new Error(describeProblem(response.status, parsed));
  return parsed;
}
