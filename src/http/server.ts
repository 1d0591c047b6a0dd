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
export async function listen(deps: {
  routes: Route[];
  bolt: HTTPReceiver | undefined;
  logger: Logger;
  port: number;
  host?: string | undefined;
  /** Told how long each request from Slack (a POST that Bolt serves) took to be answered. */
  onSlackAck: (seconds: number) => void;
}): Promise<ListeningServer> {
  const onRouteError = (e: unknown) => deps.logger.error('route failed', e);
  const server = createServer(deps.bolt ? routeHandler(deps.routes, onRouteError, boltListener(deps.bolt, onRouteError, deps.onSlackAck)) : routeHandler(deps.routes, onRouteError));
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

/**
 * Bolt's request listener; false for a path it does not serve (it throws a "deferred" error
 * for those). Bolt answers a POST (an event, command or interaction) when its listener
 * acks, so the time to the response's end is the ack time Slack sees, less the network.
 */
function boltListener(receiver: HTTPReceiver, onError: (e: unknown) => void, onAck: (seconds: number) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const arrived = performance.now();
    try {
      receiver.requestListener(req, res);
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.HTTPReceiverDeferredRequestError) return false;
      onError(e);
      sendJson(res, 500, { error: 'internal error' });
    }
    if (req.method === 'POST') res.once('finish', () => onAck((performance.now() - arrived) / 1000));
    return true;
  };
}
