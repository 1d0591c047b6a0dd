import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, type HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../logger.ts';
import { closeServer } from './close-server.ts';
import { routeHandler, sendJson, type Route } from './routes.ts';

export interface ListeningServer {
  port: number;
  close(): Promise<void>;
}

/**
 * One server for our routes and Slack's: in HTTP mode Bolt's listener gets what is not
 * ours. (Bolt's own custom routes compile every route's pattern on every request.)
 */
export async function listen(deps: { routes: Route[]; bolt: HTTPReceiver | undefined; logger: Logger; port: number; host?: string | undefined }): Promise<ListeningServer> {
  const onRouteError = (e: unknown) => deps.logger.error('route failed', e);
  const server = createServer(deps.bolt ? routeHandler(deps.routes, onRouteError, boltListener(deps.bolt, onRouteError)) : routeHandler(deps.routes, onRouteError));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Later server errors (e.g. EMFILE on accept) are logged; the server keeps serving.
  server.on('error', (e) => deps.logger.error('HTTP server error', e));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server),
  };
}

/** Bolt's request listener; false for a path it does not serve (it throws a "deferred" error for those). */
function boltListener(receiver: HTTPReceiver, onError: (e: unknown) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    try {
      receiver.requestListener(req, res);
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.HTTPReceiverDeferredRequestError) return false;
      onError(e);
      sendJson(res, 500, { error: 'internal error' });
    }
    return true;
  };
}
