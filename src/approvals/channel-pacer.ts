/**
 * Spaces approval posts in each channel (Slack allows about one message per second
 * per channel). Each waiting post gets its own future slot, so a burst for one channel
 * becomes a steady stream instead of a herd that Slack answers with 429s. In memory:
 * after a restart posts simply take new slots.
 */
export interface ChannelPacer {
  /** Milliseconds this post (`key`) must wait before it may go out in `channel`; 0 = now. */
  reserve(channel: string, key: string): number;
  /** Slack said to wait (Retry-After): nothing goes out in `channel` before then. */
  pause(channel: string, ms: number): void;
}

export function createChannelPacer(intervalMs: number, now: () => number = Date.now): ChannelPacer {
  const nextFree = new Map<string, number>();
  const slots = new Map<string, number>();
  const EARLY_OK_MS = 25;

  function prune(t: number) {
    if (slots.size < 10_000) return;
    for (const [key, slot] of slots) if (slot < t - 600_000) slots.delete(key);
  }

  return {
    reserve(channel, key) {
      if (intervalMs <= 0) return 0;
      const t = now();
      prune(t);
      const mine = slots.get(key);
      if (mine !== undefined) {
        if (mine > t + EARLY_OK_MS) return mine - t;
        slots.delete(key);
        return 0;
      }
      const slot = Math.max(t, nextFree.get(channel) ?? 0);
      nextFree.set(channel, slot + intervalMs);
      if (slot <= t + EARLY_OK_MS) return 0;
      slots.set(key, slot);
      return slot - t;
    },
    pause(channel, ms) {
      nextFree.set(channel, Math.max(nextFree.get(channel) ?? 0, now() + ms));
    },
  };
}
