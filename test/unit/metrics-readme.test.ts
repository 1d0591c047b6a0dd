import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createPrometheusMetrics, registerQueueGauges } from '../../src/metrics/prometheus.ts';

it('the README lists every metric the app serves, and no other', () => {
  const metrics = createPrometheusMetrics();
  registerQueueGauges(metrics.registry, async () => undefined);
  const served = metrics.registry.getMetricsAsArray().map((m) => m.name);
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('## How the pieces fit'));
  const listed = [...section.matchAll(/^\| `(email_approvals_[a-z_]+)/gm)].map((m) => m[1]);
  expect(served.length).toBeGreaterThan(0);
  expect(listed.sort()).toEqual(served.sort());
});
