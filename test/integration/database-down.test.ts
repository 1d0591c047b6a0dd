import { expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.ts';
import { ALICE, approvalEvent, PUBLIC_CHANNEL, startHarness, TEAM, waitFor } from '../support/harness.ts';

it('with the database gone, every request still ends in a clear answer and the health check says so', async () => {
  const db = await createTestDatabase();
  const h = await startHarness(db);
  try {
    const identity = await h.seedIdentity();
    const viewId = await h.openCreateModal();
    const createdBefore = h.api.requestsTo('POST', '/v1/identities').length;
    await db.close();

    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(503);

    const delivered = await h.deliver(approvalEvent({ identityId: identity.id, workspaceId: identity.workspaceId }));
    expect(delivered).toMatchObject({ status: 503, body: { error: expect.stringContaining('deliver it again later') } });

    const list = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'list' });
    expect(list.status).toBe(200);
    await waitFor(() => h.slack.responses.some((r) => JSON.stringify(r.body).includes('Something went wrong on our side')), 'the answer to /identity list');

    const help = await h.client.command({ teamId: TEAM.id, userId: ALICE, channelId: PUBLIC_CHANNEL.id, text: 'help' });
    expect(help.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Something went wrong on our side') });

    // Another team: this one's link may still be in the few-second cache from opening the form.
    h.slack.addTeam({ id: 'T0NOTCACHED', botToken: 'xoxb-3333-not-cached-token', botUserId: 'U0BOT3', botId: 'B0BOT3' });
    const menu = await h.client.blockSuggestion({ teamId: 'T0NOTCACHED', userId: ALICE, viewId, actionId: 'domain', blockId: 'domain', value: '' });
    expect(menu.problems).toEqual([]);
    expect(JSON.stringify(menu.body)).toContain('Could not load the list');

    const domain = h.workspace.domains[0]!;
    const submitted = await h.client.submitView({
      teamId: TEAM.id,
      userId: ALICE,
      viewId,
      values: { domain: { value: domain.id, text: domain.name }, local_part: 'support', display_name: 'Support', approval_channel: PUBLIC_CHANNEL.id },
    });
    expect(submitted.ack.kind).toBe('update');
    expect(JSON.stringify(h.slack.view(viewId))).toContain('Something went wrong on our side');
    expect(h.api.requestsTo('POST', '/v1/identities')).toHaveLength(createdBefore);
    // The modal opened before the database went away; it must not be followed by an error note.
    expect(h.slack.responses.filter((r) => JSON.stringify(r.body).includes('Something went wrong'))).toHaveLength(1);
  } finally {
    await h.close();
  }
});
