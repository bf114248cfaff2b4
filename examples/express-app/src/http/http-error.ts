import type { NextFunction, Request, Response } from 'express';

/** An error with the status to answer; anything else is a 500 whose details stay in the log. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Answers errors as `application/problem+json`, like the Audit Ledger service does. */
export function problemHandler(log: (message: string) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const status = error instanceof HttpError ? error.status : bodyParserStatus(error);
    if (status === 500) log(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const detail = status === 500 ? 'internal error' : error instanceof Error ? error.message : String(error);
    res.status(status).type('application/problem+json').json({ type: 'about:blank', title: title(status), status, detail });
  };
}

/** express.json/raw errors carry their status (400 bad JSON, 413 too large). */
function bodyParserStatus(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function title(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    502: 'Bad Gateway',
  };
  return titles[status] ?? 'Internal Server Error';
}
