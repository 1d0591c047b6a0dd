import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { ChannelProblem } from '../../channels/ports.ts';
import { channelRenamed, channelUnusable, channelUsable, type ChannelChangeDeps } from '../../identities/channel-changes.ts';

/*
 * Events API deliveries about channels, for the identities approved in them. Bolt has
 * answered Slack before a listener runs, so each parses its payload, calls one use case
 * and logs what it could not do: the use cases change only what an event changes, so a
 * redelivery is harmless.
 */

const envelope = z.object({
  team_id: z.string().min(1),
  /** The installations the event is for; the bot's entry names its user id. */
  authorizations: z.array(z.object({ user_id: z.string().optional(), is_bot: z.boolean().optional() }).loose()).optional(),
});

/** channel_rename, group_rename. */
const renamed = z.object({ channel: z.object({ id: z.string().min(1), name: z.string().min(1) }) });
/** channel_archive, channel_deleted, channel_unarchive, channel_left and their group_ twins. */
const aboutChannel = z.object({ channel: z.string().min(1) });
/** member_left_channel, member_joined_channel. */
const membership = z.object({ channel: z.string().min(1), user: z.string().min(1) });

/** What each event reports about the channel it names. */
const UNUSABLE: readonly (readonly [event: string, problem: ChannelProblem])[] = [
  ['channel_archive', 'archived'],
  ['group_archive', 'archived'],
  ['channel_deleted', 'deleted'],
  ['group_deleted', 'deleted'],
  // Sent to the app itself when it leaves or is removed from a public (channel_) or private (group_) channel.
  ['channel_left', 'bot_removed'],
  ['group_left', 'bot_removed'],
];

/** The app invited back fixes what being out of the channel broke. */
const FIXED_BY_JOINING: readonly ChannelProblem[] = ['bot_removed', 'channel_not_found'];

export function registerChannelEvents(app: App, deps: ChannelChangeDeps): void {
  const { logger } = deps;

  /** Parses the envelope and the event; logs and skips what does not parse. */
  function read<T>(name: string, body: unknown, event: unknown, schema: z.ZodType<T>): { teamId: string; botUserIds: string[]; event: T } | undefined {
    const outer = envelope.safeParse(body);
    const inner = schema.safeParse(event);
    if (!outer.success || !inner.success) {
      logger.warn(`${name}: payload not understood, ignored`);
      return undefined;
    }
    const botUserIds = (outer.data.authorizations ?? []).flatMap((a) => (a.is_bot && a.user_id ? [a.user_id] : []));
    return { teamId: outer.data.team_id, botUserIds, event: inner.data };
  }

  const guarded = async (name: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (e) {
      logger.error(`${name}: could not update the identities of the channel`, e);
    }
  };

  for (const name of ['channel_rename', 'group_rename'] as const) {
    app.event(name, async ({ body, event }) => {
      const got = read(name, body, event, renamed);
      if (got) await guarded(name, () => channelRenamed(deps, got.teamId, got.event.channel.id, got.event.channel.name));
    });
  }

  for (const [name, problem] of UNUSABLE) {
    app.event(name, async ({ body, event }) => {
      const got = read(name, body, event, aboutChannel);
      if (got) await guarded(name, () => channelUnusable(deps, got.teamId, got.event.channel, problem));
    });
  }

  for (const name of ['channel_unarchive', 'group_unarchive'] as const) {
    app.event(name, async ({ body, event }) => {
      const got = read(name, body, event, aboutChannel);
      if (got) await guarded(name, () => channelUsable(deps, got.teamId, got.event.channel, ['archived']));
    });
  }

  /** Whether a membership event is about this app's own bot user. */
  const isBot = (got: { botUserIds: string[]; event: { user: string } }, contextBotUserId: string | undefined) =>
    got.event.user === contextBotUserId || got.botUserIds.includes(got.event.user);

  app.event('member_left_channel', async ({ body, event, context }) => {
    const got = read('member_left_channel', body, event, membership);
    if (got && isBot(got, context.botUserId)) await guarded('member_left_channel', () => channelUnusable(deps, got.teamId, got.event.channel, 'bot_removed'));
  });

  app.event('member_joined_channel', async ({ body, event, context }) => {
    const got = read('member_joined_channel', body, event, membership);
    if (got && isBot(got, context.botUserId)) await guarded('member_joined_channel', () => channelUsable(deps, got.teamId, got.event.channel, FIXED_BY_JOINING));
  });
}
