import { describe, expect, it } from 'vitest';
import { CHANNEL_PROBLEMS } from '../../src/channels/ports.ts';
import type { DirectMessage } from '../../src/identities/ports.ts';
import { directMessage } from '../../src/slack/blocks/direct-message.ts';
import { validateMessage } from '../support/block-kit.ts';

const notice = (o: Partial<DirectMessage> = {}): DirectMessage => ({
  kind: 'channel_problem',
  emailAddress: 'support@acme.com',
  channelId: 'C0APPROVE',
  channelName: 'support-approvals',
  problem: 'archived',
  ...o,
});

describe('the channel problem direct message', () => {
  it.each(CHANNEL_PROBLEMS)('%s: names the identity and the channel, says how to fix it, within Slack’s limits', (problem) => {
    const { text, blocks } = directMessage(notice({ problem }));
    expect(validateMessage({ text, blocks })).toEqual([]);
    expect(text).toContain('support@acme.com');
    expect(text).toContain('`/identity edit`');
    // A deleted channel has no link to follow: its last name is shown instead.
    expect(text).toContain(problem === 'deleted' ? '#support-approvals' : '<#C0APPROVE>');
    if (problem === 'archived') expect(text).toContain('Unarchive');
    if (problem === 'bot_removed' || problem === 'channel_not_found') expect(text).toContain('`/invite`');
  });

  it('escapes what the platform or Slack named, so it cannot form links or mentions', () => {
    const { text, blocks } = directMessage(notice({ problem: 'deleted', emailAddress: '<!channel>@acme.com', channelName: '<@U0EVIL>' }));
    expect(text).not.toMatch(/<!channel>|<@U0EVIL>/);
    expect(JSON.stringify(blocks)).not.toMatch(/<!channel>|<@U0EVIL>/);
    expect(text).toContain('&lt;!channel&gt;@acme.com');
  });

  it('a deleted channel whose name was never known is named by its id', () => {
    expect(directMessage(notice({ problem: 'deleted', channelName: null })).text).toContain('the channel C0APPROVE');
  });
});
