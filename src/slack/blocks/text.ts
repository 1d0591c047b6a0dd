import type { types as slack } from '@slack/bolt';

/**
 * Unescaped text cut to `max` UTF-16 units on a code point boundary, `ellipsis` included
 * (plain_text fields and input values). UTF-16 units are never fewer than the characters
 * Slack counts, so a clipped text always fits.
 */
export function clip(raw: string, max: number, ellipsis = '…'): string {
  if (raw.length <= max) return raw;
  const room = Math.max(0, max - ellipsis.length);
  let out = '';
  for (const ch of raw) {
    if (out.length + ch.length > room) break;
    out += ch;
  }
  return `${out}${ellipsis}`;
}

export function plain(text: string, max = 3000): slack.PlainTextElement {
  return { type: 'plain_text', text: clip(text === '' ? ' ' : text, max), emoji: true };
}

export function mrkdwn(text: string, max = 3000): slack.MrkdwnElement {
  return { type: 'mrkdwn', text: clip(text === '' ? ' ' : text, max) };
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
