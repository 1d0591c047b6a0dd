import type { ChannelSlots } from '../../channels/ports.ts';

/**
 * Spaces posts in each channel (Slack allows about one message per second per channel),
 * in two steps:
 *
 * - `reserve` gives each waiting post its own future slot, so a burst for one channel
 *   becomes a queue whose jobs can wait in the database until shortly before their turn,
 *   instead of a herd that Slack answers with 429s.
 * - `turn` is the gate right before the call: posts go out in arrival order, each at
 *   least one interval after the channel's previous post actually went out. Spacing from
 *   the real send time, not the planned slot, is what keeps a late post from being
 *   followed by one that comes too soon.
 *
 * In memory: after a restart posts simply take new slots.
 */
export interface ChannelPacer extends ChannelSlots {
  /** Resolves when a post may go out in `channel`; `key` gives up its reserved slot. */
  turn(channel: string, key?: string): Promise<void>;
  /** Slack said to wait (Retry-After): nothing goes out in `channel` before then. */
  pause(channel: string, ms: number): void;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: PacerClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Entries for this many channels or keys trigger a sweep of the stale ones. */
const SWEEP_AT = 10_000;

export function createChannelPacer(intervalMs: number, clock: PacerClock = systemClock): ChannelPacer {
  const nextSlot = new Map<string, number>();
  const slots = new Map<string, number>();
  const lastSent = new Map<string, number>();
  const pausedUntil = new Map<string, number>();
  const lines = new Map<string, Promise<void>>();

  function sweep(t: number) {
    if (slots.size >= SWEEP_AT) for (const [key, slot] of slots) if (slot < t - 600_000) slots.delete(key);
    if (lastSent.size >= SWEEP_AT) for (const [channel, at] of lastSent) if (at < t - intervalMs) lastSent.delete(channel);
    if (nextSlot.size >= SWEEP_AT) for (const [channel, at] of nextSlot) if (at < t) nextSlot.delete(channel);
    if (pausedUntil.size >= SWEEP_AT) for (const [channel, at] of pausedUntil) if (at < t) pausedUntil.delete(channel);
  }

  /** When the next post may go out in `channel`, judged by what actually went out. */
  const earliest = (channel: string) => Math.max((lastSent.get(channel) ?? -Infinity) + intervalMs, pausedUntil.get(channel) ?? -Infinity);

  return {
    reserve(channel, key) {
      if (intervalMs <= 0) return 0;
      const t = clock.now();
      sweep(t);
      const mine = slots.get(key);
      if (mine !== undefined && mine >= (pausedUntil.get(channel) ?? -Infinity)) return Math.max(0, mine - t);
      const slot = Math.max(t, nextSlot.get(channel) ?? -Infinity, earliest(channel));
      nextSlot.set(channel, slot + intervalMs);
      slots.set(key, slot);
      return slot - t;
    },
    holds(key) {
      return slots.has(key);
    },
    turn(channel, key) {
      if (key !== undefined) slots.delete(key);
      if (intervalMs <= 0) return Promise.resolve();
      const before = lines.get(channel) ?? Promise.resolve();
      const mine = before.then(async () => {
        // Re-checked after each sleep: a Retry-After may arrive meanwhile.
        for (let wait = earliest(channel) - clock.now(); wait > 0; wait = earliest(channel) - clock.now()) await clock.sleep(wait);
        lastSent.set(channel, clock.now());
      });
      lines.set(channel, mine);
      void mine.then(() => {
        if (lines.get(channel) === mine) lines.delete(channel);
      });
      return mine;
    },
    release(channel, key) {
      const slot = slots.get(key);
      if (slot === undefined) return;
      slots.delete(key);
      // Only the last slot handed out can be taken back; an earlier one just stays a gap.
      if (nextSlot.get(channel) === slot + intervalMs) nextSlot.set(channel, slot);
    },
    pause(channel, ms) {
      const until = clock.now() + ms;
      pausedUntil.set(channel, Math.max(pausedUntil.get(channel) ?? 0, until));
      nextSlot.set(channel, Math.max(nextSlot.get(channel) ?? 0, until));
    },
  };
}
