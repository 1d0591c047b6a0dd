import type { Route } from './routes.ts';

export const METRICS_PATH = '/metrics';

/** What the route serves: a registry's text exposition (prom-client's Registry is one). */
export interface Exposition {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** GET /metrics: this instance's metrics in the Prometheus text format, for a scraper. */
export function metricsRoute(exposition: Exposition): Route {
  return {
    method: 'GET',
    path: METRICS_PATH,
    async handle(_req, res) {
      const text = await exposition.metrics();
      res.writeHead(200, { 'content-type': exposition.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
  };
}
