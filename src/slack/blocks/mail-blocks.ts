// Block Kit pieces for showing mail: escaped, verbatim text, dates in each reader's
// time zone, recipient lists and truncation notes, each within its share of Slack's limits.
import type { types as slack } from '@slack/bolt';
import type { EmailMessage } from '../../approvals/view.ts';
import { count, fit, fitList, isBlank, oneLine, plural } from './text-fitting.ts';

/** Mail content is escaped and `verbatim`, so nothing in it becomes a mention or link. */
export const md = (text: string): slack.MrkdwnElement => ({ type: 'mrkdwn', text: text.length === 0 ? ' ' : text, verbatim: true });
export const sectionMd = (text: string, blockId?: string): slack.SectionBlock => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  text: md(text),
});
export const contextMd = (text: string): slack.ContextBlock => ({ type: 'context', elements: [md(text)] });

/** `<!date^…>`: shown in each reader's time zone, with the ISO time as fallback. */
export function slackDate(d: Date): string | null {
  const t = d.getTime();
  if (!Number.isFinite(t)) return null;
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} at {time}|${d.toISOString()}>`;
}

export function sentDate(sentAt: string | null | undefined): string | null {
  return sentAt ? slackDate(new Date(sentAt)) : null;
}

/** Escaped, comma-separated addresses within `max` units, then "and N more". */
export function recipientList(list: readonly string[], max: number): string {
  const { shown, more } = fitList(list.map((r) => fit(oneLine(r), 200)), max);
  if (shown.length === 0) return more > 0 ? plural(more, 'recipient', 'recipients') : '_(none)_';
  return more > 0 ? `${shown.join(', ')} and ${count(more)} more` : shown.join(', ');
}

export const subjectLine = (subject: string): string => (oneLine(subject) === '' ? '_(no subject)_' : fit(oneLine(subject), 500));

export function truncationNote(omitted: number): slack.ContextBlock {
  return contextMd(`_…(truncated: ${plural(omitted, 'more character', 'more characters')})_`);
}

export function bodySections(chunks: string[], prefix: string): slack.SectionBlock[] {
  const out: slack.SectionBlock[] = [];
  chunks.forEach((c, i) => {
    if (!isBlank(c)) out.push(sectionMd(c, `${prefix}_${i}`));
  });
  return out;
}

export function draftMetaLines(d: EmailMessage): string[] {
  const cc = d.cc ?? [];
  return [
    `*To:* ${recipientList(d.to, 700)}`,
    ...(cc.length > 0 ? [`*Cc:* ${recipientList(cc, 500)}`] : []),
    `*Subject:* ${subjectLine(d.subject)}`,
    ...(isBlank(d.text) ? ['_(no text)_'] : []),
  ];
}
