import { ErrorCode, type WebAPICallError } from '@slack/web-api';

export interface SlackFailure {
  /** Slack's error string (`channel_not_found`), or our label for transport failures. */
  error: string;
  retryAfterMs?: number;
}

function isWebApiError(e: unknown): e is WebAPICallError {
  return e instanceof Error && 'code' in e && Object.values(ErrorCode).includes((e as { code: unknown }).code as ErrorCode);
}

/** Reads any error thrown by a WebClient call as data. */
export function describeSlackError(e: unknown): SlackFailure {
  if (!isWebApiError(e)) return { error: e instanceof Error ? e.message : String(e) };
  switch (e.code) {
    case ErrorCode.PlatformError:
      return { error: e.data.error };
    case ErrorCode.RateLimitedError:
      return { error: 'ratelimited', retryAfterMs: e.retryAfter * 1000 };
    case ErrorCode.HTTPError:
      if (e.statusCode === 429) {
        const seconds = Number(e.headers['retry-after']);
        return { error: 'ratelimited', retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : 1000 };
      }
      return { error: `http_${e.statusCode}` };
    case ErrorCode.RequestError:
      return { error: 'request_failed' };
    default:
      return { error: 'unknown' };
  }
}

/** What to tell the person when views.open failed for `command` (e.g. "/identity connect"). */
export function viewsOpenFailureText(error: string, command: string): string {
  return error === 'expired_trigger_id' || error === 'exchanged_trigger_id'
    ? `Slack took too long to open the form. Please run \`${command}\` again.`
    : `Slack could not open the form (${error}). Please run \`${command}\` again in a moment.`;
}
