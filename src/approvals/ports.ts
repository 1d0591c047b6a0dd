import type { SendResult } from '../channels/ports.ts';
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
