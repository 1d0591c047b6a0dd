import { z } from 'zod';
import { jobOutcomeOf, parkUntilSlot } from '../channels/send-outcome.ts';
import type { ChannelSlots } from '../channels/ports.ts';
import type { Database } from '../db/client.ts';
import type { JobHandler } from '../jobs/job.ts';
import type { IdentityNotes } from './ports.ts';
import { announceJobKey, findIdentity, type MovedNote } from './store.ts';

/** The job that posts the announcement, paced with the channel's approvals; failures are retried by the queue. */
export function announceIdentityHandler(deps: { db: Database; notes: IdentityNotes; slots: ChannelSlots }): JobHandler {
  return async (job) => {
    const identityId = typeof job.payload.identityId === 'string' ? job.payload.identityId : undefined;
    const key = announceJobKey(identityId ?? '?');
    // The channel in the payload lets a note far from its turn park without a database read.
    const channelId = typeof job.payload.channelId === 'string' ? job.payload.channelId : undefined;
    if (channelId) {
      const parked = parkUntilSlot(deps.slots, channelId, key);
      if (parked) return parked;
    }
    const identity = identityId ? await findIdentity(deps.db, identityId) : undefined;
    if (!identity) {
      if (channelId) deps.slots.release(channelId, key);
      return { status: 'dead', error: `identity ${identityId ?? '?'} not found` };
    }
    const parked = parkUntilSlot(deps.slots, identity.approvalChannelId, key);
    if (parked) return parked;
    const posted = await deps.notes.announce(identity, key);
    // The same rule as approval posts: only failures that cannot work give up.
    return posted.ok ? { status: 'done' } : jobOutcomeOf(posted, 'announcement');
  };
}

const movedNote = z.object({
  identityId: z.string().min(1),
  teamId: z.string().min(1),
  emailAddress: z.string(),
  fromChannelId: z.string().min(1),
  toChannelId: z.string().min(1),
  movedByUserId: z.string().min(1),
  side: z.enum(['to', 'from']),
}) satisfies z.ZodType<MovedNote>;

/**
 * The job that tells the new channel (and the old one) that an identity's approvals
 * moved, paced like the announcement. The note says what happened at the edit, so it
 * needs no database read: a later edit has its own notes.
 */
export function movedNoteHandler(deps: { notes: IdentityNotes; slots: ChannelSlots }): JobHandler {
  return async (job) => {
    const parsed = movedNote.safeParse(job.payload);
    if (!parsed.success) return { status: 'dead', error: 'moved note: payload does not hold a note' };
    const note = parsed.data;
    const channel = note.side === 'to' ? note.toChannelId : note.fromChannelId;
    const key = job.dedupeKey ?? `moved:${job.id}`;
    const parked = parkUntilSlot(deps.slots, channel, key);
    if (parked) return parked;
    const posted = await deps.notes.moved(note, key);
    return posted.ok ? { status: 'done' } : jobOutcomeOf(posted, 'moved note');
  };
}
