import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ApprovalEventType } from '../platform/schemas.ts';
import type { SendOutcome } from '../approvals/ports.ts';
import type { EventOutcome, Metrics } from './ports.ts';
import type { QueueCounts } from './queue-counts.ts';

/* The Metrics port in Prometheus terms, through prom-client. The README's "Metrics" section lists these names: keep the two alike. */

const PREFIX = 'email_approvals_';

/** Posts wait for their channel's turn (about one a second per channel), so a burst's last post goes out minutes after its request. */
const POST_LATENCY_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** People decide in minutes to days. */
const DECISION_LATENCY_BUCKETS = [10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600];
/** Slack gives up waiting for the answer at 3 s. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3];

const EVENT_OUTCOMES: readonly EventOutcome[] = ['stored', 'duplicate', 'invalid', 'unknown_identity', 'error'];
const SEND_OUTCOMES: readonly SendOutcome[] = ['ok', 'wait', 'permanent', 'transient', 'maybe_done'];

export interface PrometheusMetrics extends Metrics {
  /** This app instance's own registry (never prom-client's global one): what GET /metrics shows. */
  registry: Registry;
}

/**
 * The app's counters and histograms in a registry of their own, so two app instances in one
 * process (tests) keep theirs apart. `processMetrics` adds prom-client's process and Node
 * metrics (memory, CPU, event-loop lag); they watch the whole process, so only one app per
 * process should ask for them.
 */
export function createPrometheusMetrics(options: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const events = new Counter({
    name: `${PREFIX}events_received_total`,
    help: 'Deliveries to the approval webhook, by event type and outcome (stored, duplicate, invalid, unknown_identity, error).',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  const messages = new Counter({
    name: `${PREFIX}messages_total`,
    help: 'Posts and updates of approval messages in Slack, by outcome (ok, wait, permanent, transient, maybe_done).',
    labelNames: ['action', 'outcome'] as const,
    registers,
  });
  const rateLimited = new Counter({ name: `${PREFIX}slack_rate_limited_total`, help: 'Slack Web API calls answered 429, by method.', labelNames: ['method'] as const, registers });
  const decisions = new Counter({ name: `${PREFIX}decisions_total`, help: 'Decisions recorded, by decision (approve, reject).', labelNames: ['decision'] as const, registers });
  const reports = new Counter({
    name: `${PREFIX}decision_reports_total`,
    help: 'Decisions reported to the platform, by outcome (accepted, refused, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const platformCalls = new Counter({
    name: `${PREFIX}platform_calls_total`,
    help: 'HTTP requests to the Identities API, by operation and status (the HTTP status, or timeout / connection when none came).',
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const postLatency = new Histogram({
    name: `${PREFIX}webhook_to_posted_seconds`,
    help: 'From an approval request stored to its message posted in Slack (database clock).',
    buckets: POST_LATENCY_BUCKETS,
    registers,
  });
  const decisionLatency = new Histogram({
    name: `${PREFIX}posted_to_decided_seconds`,
    help: 'From an approval message posted to its decision (database clock).',
    buckets: DECISION_LATENCY_BUCKETS,
    registers,
  });
  const acks = new Histogram({ name: `${PREFIX}slack_ack_seconds`, help: 'From a request from Slack arriving to its answer (the ack) being sent.', buckets: ACK_BUCKETS, registers });

  // The closed label sets start at 0, so rate() and increase() see a series before its first event.
  for (const type of ApprovalEventType.options) for (const outcome of EVENT_OUTCOMES) events.inc({ type, outcome }, 0);
  for (const action of ['post', 'update']) for (const outcome of SEND_OUTCOMES) messages.inc({ action, outcome }, 0);
  for (const decision of ['approve', 'reject']) decisions.inc({ decision }, 0);
  for (const outcome of ['accepted', 'refused', 'failed']) reports.inc({ outcome }, 0);

  return {
    registry,
    eventReceived: (type, outcome) => events.inc({ type, outcome }),
    messageSent: (action, outcome) => messages.inc({ action, outcome }),
    slackRateLimited: (method) => rateLimited.inc({ method }),
    decided(decision, secondsSincePosted) {
      decisions.inc({ decision });
      if (secondsSincePosted !== null) decisionLatency.observe(Math.max(0, secondsSincePosted));
    },
    reported: (outcome) => reports.inc({ outcome }),
    platformCall: (operation, status) => platformCalls.inc({ operation, status }),
    posted: (seconds) => postLatency.observe(Math.max(0, seconds)),
    slackAcked: (seconds) => acks.observe(seconds),
  };
}

/**
 * Gauges of the backlog, read from the database when scraped. All three call `read` at
 * each scrape; it is expected to share one reading (see cachedReading). A reading that
 * failed shows as NaN: unknown, not zero.
 */
export function registerQueueGauges(registry: Registry, read: () => Promise<QueueCounts | undefined>): void {
  const registers = [registry];
  new Gauge({
    name: `${PREFIX}pending_approvals`,
    help: 'Approvals waiting for a decision.',
    registers,
    async collect() {
      this.set((await read())?.pendingApprovals ?? NaN);
    },
  });
  new Gauge({
    name: `${PREFIX}jobs`,
    help: 'Live background jobs, by state: ready (due now), scheduled (waiting for their time: parked posts, retries), running.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const jobs = (await read())?.jobs;
      for (const state of ['ready', 'scheduled', 'running'] as const) this.set({ state }, jobs?.[state] ?? NaN);
    },
  });
  new Gauge({
    name: `${PREFIX}dead_letters`,
    help: 'Background jobs that gave up and wait for a person (see npm run admin).',
    registers,
    async collect() {
      this.set((await read())?.deadLetters ?? NaN);
    },
  });
}
