import type { types as slack } from '@slack/bolt';

/** Slack counts characters; cut on code points so we never split a surrogate pair. */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - ellipsis.length)).join('') + ellipsis;
}

export function plain(text: string, max = 3000): slack.PlainTextElement {
  return { type: 'plain_text', text: truncate(text === '' ? ' ' : text, max), emoji: true };
}

export function mrkdwn(text: string, max = 3000): slack.MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text === '' ? ' ' : text, max) };
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function section(text: string): slack.SectionBlock {
  return { type: 'section', text: mrkdwn(text) };
}

export function context(text: string): slack.ContextBlock {
  return { type: 'context', elements: [mrkdwn(text)] };
}

export const channelMention = (channelId: string) => `<#${channelId}>`;
export const userMention = (userId: string) => `<@${userId}>`;
