import type { ChannelProblem, SendFailure } from '../../channels/ports.ts';
import type { SlackFailure } from '../slack-errors.ts';

/** Slack errors that say the channel itself cannot take posts, and what that means for it. */
const CHANNEL_PROBLEMS = new Map<string, ChannelProblem>([
  ['is_archived', 'archived'],
  ['channel_is_archived', 'archived'],
  ['not_in_channel', 'bot_removed'],
  // A deleted channel, or a private one the app is no longer in: Slack does not say which.
  ['channel_not_found', 'channel_not_found'],
]);

/** Slack errors that no retry will fix. */
const PERMANENT_SLACK_ERRORS = new Set([
  ...CHANNEL_PROBLEMS.keys(),
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
  // Direct messages: the person is gone, or is a bot.
  'user_not_found',
  'users_not_found',
  'user_disabled',
  'cannot_dm_bot',
]);

/** Failures after which Slack may or may not have done the work: no answer, a server error, or an answer we could not read. */
const AMBIGUOUS_SLACK_FAILURES = /^(request_failed|http_5\d\d|internal_error|fatal_error|service_unavailable|request_timeout|unreadable_answer)$/;

/** A Slack failure as the domain sees it. */
export function sendFailureOf(failure: SlackFailure): SendFailure {
  if (failure.retryAfterMs !== undefined) return { kind: 'wait', retryAfterMs: failure.retryAfterMs, detail: failure.error };
  const channelProblem = CHANNEL_PROBLEMS.get(failure.error);
  if (channelProblem) return { kind: 'permanent', detail: failure.error, channelProblem };
  if (PERMANENT_SLACK_ERRORS.has(failure.error)) return { kind: 'permanent', detail: failure.error };
  if (AMBIGUOUS_SLACK_FAILURES.test(failure.error)) return { kind: 'maybe_done', detail: failure.error };
  return { kind: 'transient', detail: failure.error };
}
