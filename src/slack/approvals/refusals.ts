import type { DeciderCheck } from '../../approvals/decide.ts';
import { escapeMrkdwn, userMention } from '../blocks/text.ts';

const when = (d: Date | null) => (d ? ` at <!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${d.toISOString()}>` : '');

/** Why a click changed nothing, in words for the person who clicked. */
export function refusalText(check: Exclude<DeciderCheck, { ok: true }>): string {
  switch (check.code) {
    case 'not_found':
      return 'I no longer know this approval, so nothing was changed.';
    case 'wrong_team':
      return 'This approval belongs to another Slack workspace, so you cannot decide on it.';
    case 'not_allowed':
      return `Only ${check.deciderUserIds.map(userMention).join(', ')} can decide on drafts from ${escapeMrkdwn(check.identity.emailAddress)}. Nothing was changed.`;
    case 'not_pending': {
      const a = check.approval;
      switch (a.status) {
        case 'approved':
          return `Already approved by ${userMention(a.decidedByUserId ?? 'unknown')}${when(a.decidedAt)}. Nothing was changed.`;
        case 'rejected':
          return `Already rejected by ${userMention(a.decidedByUserId ?? 'unknown')}${when(a.decidedAt)}. Nothing was changed.`;
        case 'cancelled':
          return `This draft was cancelled${a.closedReason ? ` (${escapeMrkdwn(a.closedReason.slice(0, 500))})` : ''}; it will not be sent.`;
        case 'expired':
          return 'This draft expired before anyone decided; it was not sent.';
        default:
          return 'This draft is no longer waiting for a decision.';
      }
    }
  }
}
