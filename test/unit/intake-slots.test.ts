import { describe, expect, it } from 'vitest';
import { createChannelPacer } from '../../src/slack/outbound/channel-pacer.ts';
import { receiveApprovalEvent, type IntakeResult } from '../../src/approvals/intake.ts';
import type { StoredIdentity } from '../../src/identities/store.ts';
import { createLogger } from '../../src/logger.ts';
import { approvalEvent } from '../support/harness.ts';

const identity = { id: 'idn_1', teamId: 'T1', workspaceId: 'ws_1', approvalChannelId: 'C1' } as StoredIdentity;

/** Intake with a real pacer on a frozen clock and a store that answers as told. */
function intake(answers: IntakeResult[]) {
  const pacer = createChannelPacer(1000, { now: () => 0, sleep: async () => {} });
  const deps = {
    store: { submit: async () => answers.shift()! },
    slots: pacer,
    resolveIdentity: async () => identity,
    logger: createLogger({ level: 'error' }),
    wake: () => {},
  };
  return { pacer, receive: (event: ReturnType<typeof approvalEvent>) => receiveApprovalEvent(deps, event) };
}

describe('intake and channel slots', () => {
  it('keeps the slot of a queued post when its request is delivered again', async () => {
    const { pacer, receive } = intake([
      { fresh: true, stored: true, queued: true },
      { fresh: false, stored: false, queued: false },
    ]);
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    expect(await receive(event)).toEqual({ kind: 'stored', duplicate: false });
    expect(await receive(event)).toEqual({ kind: 'stored', duplicate: true });
    expect(pacer.holds(event.data.approval_id)).toBe(true);
    // The next approval queues behind it, not in its place.
    expect(pacer.reserve('C1', 'next')).toBe(1000);
  });

  it('gives back the slot it took when nothing was queued', async () => {
    const { pacer, receive } = intake([{ fresh: true, stored: false, queued: false }]);
    const event = approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId });
    await receive(event);
    expect(pacer.holds(event.data.approval_id)).toBe(false);
    expect(pacer.reserve('C1', 'next')).toBe(0);
  });
});
