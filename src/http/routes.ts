import type { IncomingMessage, ServerResponse } from 'node:http';

/** A route served beside Slack's: health checks and platform webhooks. Not signed by Slack. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads a request body up to a limit. A larger one is not buffered: the rest is read and
 * dropped, and the caller answers 413. Event listeners rather than `for await`, whose
 * async iterator was a visible cost per webhook in the intake profile.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<{ ok: true; body: Buffer } | { ok: false; reason: 'too_large' }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer | string) => {
      if (tooLarge) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limitBytes) {
        tooLarge = true;
        chunks.length = 0;
        resolve({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(buf);
    });
    req.on('end', () => {
      if (!tooLarge) resolve({ ok: true, body: Buffer.concat(chunks, size) });
    });
    req.on('error', reject);
  });
}

export function healthRoute(ping: () => Promise<void>, timeoutMs = 2000): Route {
  return {
    method: 'GET',
    path: '/healthz',
    async handle(_req, res) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('database ping timed out')), timeoutMs);
          }),
        ]);
        sendJson(res, 200, { status: 'ok' });
      } catch {
        sendJson(res, 503, { status: 'unavailable', reason: 'database unreachable' });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The request's path, as Bolt reads it (absolute-form URLs too), without one trailing slash. */
function pathOf(url: string | undefined): string {
  let path: string;
  try {
    path = new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    path = '/';
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Dispatches our routes by exact path. Any other path goes to `others` (Bolt's listener in
 * HTTP mode), which says whether it served the request; what nobody serves is a 404.
 */
export function routeHandler(routes: Route[], onError: (e: unknown) => void, others?: (req: IncomingMessage, res: ServerResponse) => boolean) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (!route) {
      const known = routes.some((r) => r.path === path);
      if (!known && others?.(req, res)) return;
      sendJson(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
      return;
    }
    route.handle(req, res).catch((e: unknown) => {
      onError(e);
      sendJson(res, 500, { error: 'internal error' });
    });
  };
}
