import type { ChannelProblem, SendResult } from '../channels/ports.ts';
import type { MovedNote, StoredIdentity } from './store.ts';

/** Whether the app can post in a chosen approval channel. */
export type ChannelReadiness =
  | { ok: true; channelName: string | null }
  | { ok: false; reason: 'not_visible' | 'private_not_member' | 'archived' | 'slack_error'; detail?: string };

/** The chosen channel, as the person who chose it may reach it. */
export interface ChannelAccess {
  /** Makes sure the app can post in the channel, joining it when it is public. */
  prepare(channelId: string): Promise<ChannelReadiness>;
}

/** Notes about identities, posted in their approval channels. */
export interface IdentityNotes {
  /**
   * Tells the identity's approval channel that its drafts will be approved there, once
   * the channel's turn comes (`slotKey` is the slot reserved for it, if any).
   */
  announce(identity: StoredIdentity, slotKey: string): Promise<SendResult<void>>;
  /**
   * Tells a channel that an identity's approvals moved: into it (`note.side` 'to') or
   * away from it ('from'), once the channel's turn comes.
   */
  moved(note: MovedNote, slotKey: string): Promise<SendResult<void>>;
}

/** What the app tells one person directly, as data: the chat adapter words and renders it. */
export type DirectMessage = {
  kind: 'channel_problem';
  emailAddress: string;
  channelId: string;
  /** As last known; null when never learned. */
  channelName: string | null;
  problem: ChannelProblem;
};

/** Direct messages to people of a team. */
export interface DirectMessages {
  send(teamId: string, userId: string, message: DirectMessage): Promise<SendResult<void>>;
}
