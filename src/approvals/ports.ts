import type { SendFailure, SendResult } from '../channels/ports.ts';
import type { ApprovalView } from './view.ts';

/** The approval messages in the chat platform: what the delivery jobs need, and nothing of how. */
export interface ApprovalMessages {
  /** Posts the approval in its channel (in `threadTs`'s thread), once its turn in the channel comes. */
  post(teamId: string, message: { channelId: string; threadTs: string | null; view: ApprovalView }): Promise<SendResult<{ ts: string }>>;
  /** Shows the approval's current state in the message at `ts`. */
  update(teamId: string, message: { channelId: string; ts: string; view: ApprovalView }): Promise<SendResult<void>>;
  /** The ts of our message for this approval posted since `sinceSeconds`, if there is one. */
  findPosted(teamId: string, where: { channelId: string; threadTs: string | null; sinceSeconds: number; approvalId: string }): Promise<SendResult<string | null>>;
}

/** How a send of an approval message ended: `ok`, or the kind of its failure. */
export type SendOutcome = 'ok' | SendFailure['kind'];

/** What the approval use cases report for monitoring: plain calls, so none of them knows how it is measured. */
export interface ApprovalMetrics {
  /** A post or an update of an approval message answered `outcome`. */
  messageSent(action: 'post' | 'update', outcome: SendOutcome): void;
  /** An approval's message was posted `seconds` after its request was stored. */
  posted(seconds: number): void;
  /** A decision was recorded, `secondsSincePosted` after its message was posted (null when that time is unknown). */
  decided(decision: 'approve' | 'reject', secondsSincePosted: number | null): void;
  /** What the platform made of a reported decision; `failed` once the retries are used up. */
  reported(outcome: 'accepted' | 'refused' | 'failed'): void;
}
