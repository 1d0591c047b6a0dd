import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often a closing server looks for keep-alive connections that have gone idle. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting connections and resolves once every request in flight has been answered.
 * `server.close()` closes the connections idle at that moment, but a keep-alive connection
 * whose request was still running stays open after its answer until the client hangs up
 * (undici keeps one 4 s), and close() waits for it. Node says nothing when a connection
 * goes idle, so while closing the idle ones are closed every few milliseconds, and a
 * request that still arrives on an open connection is answered with `Connection: close`.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const lastAnswer = (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('connection', 'close');
    };
    server.on('request', lastAnswer);
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.close(() => {
      clearInterval(sweep);
      server.off('request', lastAnswer);
      resolve();
    });
  });
}
