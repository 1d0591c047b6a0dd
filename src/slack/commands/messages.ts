import type { types as slack } from '@slack/bolt';
import type { ListedIdentity, ListIdentitiesResult } from '../../identities/list-identities.ts';
import { TOKEN_MISSING_TEXT, TOKEN_REJECTED_TEXT } from '../create-identity/replies.ts';
import { channelMention, context, escapeMrkdwn, plain, section, userMention } from '../blocks/text.ts';
import { EDIT_OPEN_ACTION } from '../edit-identity/views.ts';

export interface EphemeralMessage {
  response_type: 'ephemeral';
  text: string;
  blocks: slack.KnownBlock[];
}

const ephemeral = (text: string, blocks: slack.KnownBlock[]): EphemeralMessage => ({ response_type: 'ephemeral', text, blocks });

const USAGE = [
  '`/identity` or `/identity new`: create an email identity and choose its approval channel',
  '`/identity list`: the identities of this workspace and where their drafts are approved, each with an Edit button',
  '`/identity edit`: change an identity: its approval channel, approvers, approval settings, name, assistant, reply-to, signatures',
  '`/identity connect`: (admins) link this Slack workspace to a platform workspace with its API token, and choose who may create identities',
  '`/identity disconnect`: (admins) remove this workspace’s platform token',
  '`/identity help`: this message',
];

export function helpMessage(unknownSubcommand: string | undefined, status: string): EphemeralMessage {
  const lead = unknownSubcommand ? `I don’t know \`${escapeMrkdwn(unknownSubcommand.slice(0, 100))}\`. ` : '';
  const text = `${lead}Usage:\n${USAGE.map((l) => `• ${l}`).join('\n')}`;
  return ephemeral(`${text}\n${status}`, [section(text), context(status)]);
}

/**
 * Inside Slack's 50-block limit: the first identities get a section each with an Edit
 * button beside them, the rest share sections of ten lines (3000 chars) without one.
 */
const WITH_BUTTONS = 30;
const LINES_PER_SECTION = 10;
/** Blocks for identities; the rest of the 50 is for the intro, a warning and the notes. */
const IDENTITY_BLOCKS = 46;

function line(i: ListedIdentity): string {
  const approvers = i.approverUserIds.length > 0 ? ` · approvers: ${i.approverUserIds.slice(0, 10).map(userMention).join(' ')}` : '';
  return `• *${escapeMrkdwn(i.emailAddress.slice(0, 254))}* (${escapeMrkdwn(i.displayName.slice(0, 80))}) → ${channelMention(i.channelId)}${approvers}`;
}

function identitySections(list: ListedIdentity[]): { blocks: slack.KnownBlock[]; shown: number } {
  const blocks: slack.KnownBlock[] = list.slice(0, WITH_BUTTONS).map((i) => ({
    ...section(line(i)),
    block_id: `identity_${i.id}`.slice(0, 255),
    accessory: { type: 'button', action_id: EDIT_OPEN_ACTION, text: plain('Edit', 75), value: i.id },
  }));
  let shown = blocks.length;
  while (shown < list.length && blocks.length < IDENTITY_BLOCKS) {
    blocks.push(section(list.slice(shown, shown + LINES_PER_SECTION).map(line).join('\n')));
    shown = Math.min(list.length, shown + LINES_PER_SECTION);
  }
  return { blocks, shown };
}

export function listMessage(result: ListIdentitiesResult): EphemeralMessage {
  if (!result.ok) {
    const why =
      result.code === 'token_missing' ? TOKEN_MISSING_TEXT : result.code === 'token_rejected' ? TOKEN_REJECTED_TEXT : 'The platform did not answer, so this list may be incomplete.';
    const { blocks, shown } = identitySections(result.local);
    const intro = result.local.length > 0 ? `Identities created from this Slack workspace (${result.local.length}):` : 'No identities were created from this Slack workspace yet.';
    const more = result.local.length > shown ? [context(`…and ${result.local.length - shown} more.`)] : [];
    return ephemeral(`${why} ${intro}`, [section(`:warning: ${why}`), section(intro), ...blocks, ...more]);
  }
  const notes: string[] = [];
  if (result.elsewhere > 0) notes.push(`${result.elsewhere} other identit${result.elsewhere === 1 ? 'y has its' : 'ies have their'} approval channel elsewhere.`);
  if (result.identities.length === 0) {
    const text = 'No identity has its approval channel in this Slack workspace yet. Run `/identity` to create one.';
    return ephemeral(text, [section(text), ...(notes.length > 0 ? [context(notes.join(' '))] : [])]);
  }
  const { blocks, shown } = identitySections(result.identities);
  if (result.identities.length > shown) notes.unshift(`…and ${result.identities.length - shown} more.`);
  if (result.identities.length > WITH_BUTTONS) notes.push('`/identity edit` finds any identity by its address.');
  if (result.truncated) notes.push('The platform returned more identities than this list can show.');
  const intro = `Email identities approved in this workspace (${result.identities.length}):`;
  return ephemeral(intro, [section(intro), ...blocks, ...(notes.length > 0 ? [context(notes.join(' '))] : [])]);
}
