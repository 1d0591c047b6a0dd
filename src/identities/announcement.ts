import { jobOutcomeOf, parkUntilSlot } from '../channels/send-outcome.ts';
import type { ChannelSlots } from '../channels/ports.ts';
import type { Database } from '../db/client.ts';
import type { JobHandler } from '../jobs/job.ts';
import type { IdentityNotes } from './ports.ts';
import { announceJobKey, findIdentity } from './store.ts';

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
