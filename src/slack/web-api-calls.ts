import type {
  ChatPostMessageArguments,
  ChatPostMessageResponse,
  ChatUpdateArguments,
  ChatUpdateResponse,
  ViewsOpenArguments,
  ViewsOpenResponse,
  ViewsUpdateArguments,
  ViewsUpdateResponse,
  WebClient,
} from '@slack/web-api';

/*
 * The calls that carry a modal or a message. @slack/web-api 8 copies every argument
 * object, recursively, to redact it for a debug line it writes even when debug logging
 * is off; for our modal that walk cost more than the rest of the call (profiled: about
 * 0.35 ms of 5 ms per /identity). Slack takes `view`, `blocks` and `metadata` as JSON
 * strings, and web-api would send them JSON-encoded anyway, so serializing them first
 * puts the same bytes on the wire without the walk. Errors are thrown as by
 * `client.views.open` and the rest, which are `apiCall` too.
 */

const JSON_ARGUMENTS = ['view', 'blocks', 'metadata'] as const;

function serializeArguments(args: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const key of JSON_ARGUMENTS) {
    const value = out[key];
    if (value !== undefined && typeof value !== 'string') out[key] = JSON.stringify(value);
  }
  return out;
}

export const openView = (client: WebClient, args: ViewsOpenArguments): Promise<ViewsOpenResponse> =>
  client.apiCall('views.open', serializeArguments(args));

export const updateView = (client: WebClient, args: ViewsUpdateArguments): Promise<ViewsUpdateResponse> =>
  client.apiCall('views.update', serializeArguments(args));

export const postMessage = (client: WebClient, args: ChatPostMessageArguments): Promise<ChatPostMessageResponse> =>
  client.apiCall('chat.postMessage', serializeArguments(args));

export const updateMessage = (client: WebClient, args: ChatUpdateArguments): Promise<ChatUpdateResponse> =>
  client.apiCall('chat.update', serializeArguments(args));
