import { WebClientEvent, type WebClient } from '@slack/web-api';

/** The Web API method of a request URL (`…/api/chat.postMessage` → `chat.postMessage`). */
export function methodOfUrl(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.slice(path.lastIndexOf('/') + 1) || 'unknown';
}

/** Tells `onRateLimited` the method of each call Slack answers 429 on this client (the client says so whether it retries or not). */
export function watchRateLimits(client: WebClient, onRateLimited: (method: string) => void): void {
  client.on(WebClientEvent.RATE_LIMITED, (_retryAfterSeconds: number, request: { url: string }) => onRateLimited(methodOfUrl(request.url)));
}
