import type { types as slack } from '@slack/bolt';
import type { ListedIdentity, ListIdentitiesResult } from '../../identities/list-identities.ts';
import { TOKEN_MISSING_TEXT, TOKEN_REJECTED_TEXT } from '../create-identity/replies.ts';
import { channelMention, context, escapeMrkdwn, section, userMention } from '../blocks/text.ts';

export interface EphemeralMessage {
  response_type: 'ephemeral';
  text: string;
  blocks: slack.KnownBlock[];
}

const ephemeral = (text: string, blocks: slack.KnownBlock[]): EphemeralMessage => ({ response_type: 'ephemeral', text, blocks });

const USAGE = [
  '`/identity` or `/identity new`: create an email identity and choose its approval channel',
  '`/identity list`: the identities of this workspace and where their drafts are approved',
  '`/identity connect`: (admins) link this Slack workspace to a platform workspace with its API token, and choose who may create identities',
  '`/identity disconnect`: (admins) remove this workspace’s platform token',
  '`/identity help`: this message',
];

export function helpMessage(unknownSubcommand: string | undefined, status: string): EphemeralMessage {
  const lead = unknownSubcommand ? `I don’t know \`${escapeMrkdwn(unknownSubcommand.slice(0, 100))}\`. ` : '';
  const text = `${lead}Usage:\n${USAGE.map((l) => `• ${l}`).join('\n')}`;
  return ephemeral(`${text}\n${status}`, [section(text), context(status)]);
}

/** Lines per section and sections per message, inside Slack's 3000-char and 50-block limits. */
const LINES_PER_SECTION = 10;
const MAX_SECTIONS = 40;

function line(i: ListedIdentity): string {
  const approvers = i.approverUserIds.length > 0 ? ` · approvers: ${i.approverUserIds.slice(0, 10).map(userMention).join(' ')}` : '';
  return `• *${escapeMrkdwn(i.emailAddress.slice(0, 254))}* (${escapeMrkdwn(i.displayName.slice(0, 80))}) → ${channelMention(i.channelId)}${approvers}`;
}

function identitySections(list: ListedIdentity[]): { blocks: slack.KnownBlock[]; shown: number } {
  const blocks: slack.KnownBlock[] = [];
  const shown = Math.min(list.length, LINES_PER_SECTION * MAX_SECTIONS);
  for (let i = 0; i < shown; i += LINES_PER_SECTION) blocks.push(section(list.slice(i, i + LINES_PER_SECTION).map(line).join('\n')));
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
  if (result.truncated) notes.push('The platform returned more identities than this list can show.');
  const intro = `Email identities approved in this workspace (${result.identities.length}):`;
  return ephemeral(intro, [section(intro), ...blocks, ...(notes.length > 0 ? [context(notes.join(' '))] : [])]);
}
