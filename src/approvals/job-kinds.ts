/** Durable jobs of the approval flow, with the dedupe keys that make each happen once. */
export const ApprovalJob = {
  /** Post the approval message in its channel. */
  post: 'approval.post',
  /** Re-render the message after its state changed. */
  refresh: 'approval.refresh',
  /** Report the person's decision to the platform. */
  report: 'approval.report',
} as const;

export const dedupeKey = {
  post: (approvalId: string) => `post:${approvalId}`,
  report: (approvalId: string) => `report:${approvalId}`,
  /** One refresh per state change; `change` names it (an event id, 'decided', 'reported'…). */
  refresh: (approvalId: string, change: string) => `refresh:${approvalId}:${change}`,
};

/**
 * A decision is retried for days (backoff is capped at minutes), not given up after
 * minutes: a platform outage must delay it, never lose it.
 */
export const REPORT_MAX_ATTEMPTS = 1000;
