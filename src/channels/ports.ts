/**
 * What the domain needs of a chat platform's channels, declared here so that no use case
 * knows which platform it is: a send answers a closed union, and posts into one channel
 * take turns through its slots.
 */

/**
 * Why a send did not happen. `detail` is for logs only; the domain decides on `kind`:
 * - `wait`: rate limited, try again after `retryAfterMs`;
 * - `permanent`: no retry will fix it (channel gone, bot removed, token revoked);
 * - `transient`: nothing was done, a later try may work;
 * - `maybe_done`: no answer, so it may have been done: look before sending again.
 */
export type SendFailure =
  | { kind: 'wait'; retryAfterMs: number; detail: string }
  | { kind: 'permanent'; detail: string; channelProblem?: ChannelProblem }
  | { kind: 'transient' | 'maybe_done'; detail: string };

/**
 * Why a channel cannot take posts, when a permanent failure says so: archived, deleted,
 * the app removed from it, or not found (deleted, or private and the app no longer in it).
 */
export const CHANNEL_PROBLEMS = ['archived', 'deleted', 'bot_removed', 'channel_not_found'] as const;
export type ChannelProblem = (typeof CHANNEL_PROBLEMS)[number];

export type SendResult<T> = { ok: true; value: T } | ({ ok: false } & SendFailure);

/**
 * A channel's send slots: the chat platform allows about one message a second per
 * channel, so each post that will be needed reserves its own turn.
 */
export interface ChannelSlots {
  /**
   * This post's (`key`'s) slot in `channel`: milliseconds until it comes, 0 = now. A key
   * keeps its slot until its turn, unless a rate-limit pause covers it: it then queues
   * again after the pause, so the posts held up come back spaced, not all at once.
   */
  reserve(channel: string, key: string): number;
  /** Whether `key` holds a slot (reserved, not yet used or given back). */
  holds(key: string): boolean;
  /** Gives back a slot that will not be used (the post turned out not to be needed). */
  release(channel: string, key: string): void;
}
