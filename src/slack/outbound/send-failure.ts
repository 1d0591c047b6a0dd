import type { SendFailure } from '../../channels/ports.ts';
import type { SlackFailure } from '../slack-errors.ts';

/** Slack errors that no retry will fix. */
const PERMANENT_SLACK_ERRORS = new Set([
  'channel_not_found',
  'is_archived',
  'channel_is_archived',
  'not_in_channel',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'no_bot_token',
  'invalid_blocks',
  'msg_too_long',
  'msg_blocks_too_long',
  'invalid_arguments',
  'message_not_found',
  'cant_update_message',
]);

/** Failures after which Slack may or may not have done the work: no answer, a server error, or an answer we could not read. */
const AMBIGUOUS_SLACK_FAILURES = /^(request_failed|http_5\d\d|internal_error|fatal_error|service_unavailable|request_timeout|unreadable_answer)$/;

/** A Slack failure as the domain sees it. */
export function sendFailureOf(failure: SlackFailure): SendFailure {
  if (failure.retryAfterMs !== undefined) return { kind: 'wait', retryAfterMs: failure.retryAfterMs, detail: failure.error };
  if (PERMANENT_SLACK_ERRORS.has(failure.error)) return { kind: 'permanent', detail: failure.error };
  if (AMBIGUOUS_SLACK_FAILURES.test(failure.error)) return { kind: 'maybe_done', detail: failure.error };
  return { kind: 'transient', detail: failure.error };
}
