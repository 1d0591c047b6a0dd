import type { ApprovalMetrics } from '../approvals/ports.ts';

/**
 * How a webhook delivery ended: stored; a redelivery or a second request for one approval
 * (`duplicate`); refused for its signature, size or shape (`invalid`); for an identity this
 * app does not serve; or not stored because the database failed (`error`).
 */
export type EventOutcome = 'stored' | 'duplicate' | 'invalid' | 'unknown_identity' | 'error';

/**
 * Everything the app counts and times, as plain calls. Each part takes the calls it needs;
 * only src/metrics/prometheus.ts knows the metrics library.
 */
export interface Metrics extends ApprovalMetrics {
  /** A delivery to the approval webhook; `type` is the event's, or `unknown` when it could not be read. */
  eventReceived(type: string, outcome: EventOutcome): void;
  /** Slack answered 429 to a Web API call. */
  slackRateLimited(method: string): void;
  /** One HTTP request to the Identities API: the status code it answered, or `timeout` / `connection` when no answer came. */
  platformCall(operation: string, status: string): void;
  /** A request from Slack was answered (acknowledged) `seconds` after it arrived. */
  slackAcked(seconds: number): void;
}
