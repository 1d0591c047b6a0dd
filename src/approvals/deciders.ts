import type { Delegation } from '../people/out-of-office.ts';

/**
 * Who may decide an identity's approvals. The one rule every entry point (channel
 * message, direct message, Home tab) goes through:
 * - no approvers set: anyone in the workspace;
 * - otherwise the approvers and the **Escalate to** people (those who are asked when
 *   nobody decides in time may also decide before), and, while an out-of-office runs,
 *   the delegate of any of them.
 */
export interface DecisionRights {
  approverUserIds: string[];
  escalationUserIds: string[];
}

/** The people named to decide; empty when anyone may. */
export function namedDeciders(rights: DecisionRights): string[] {
  if (rights.approverUserIds.length === 0) return [];
  return [...new Set([...rights.approverUserIds, ...rights.escalationUserIds])];
}

/**
 * Whom `userId` stands for when deciding: themselves when named (or when anyone may),
 * then each named person who delegated to them. Null when they may not decide. A quorum
 * counts a person's decision once, as the first of these not yet counted.
 */
export function standsFor(rights: DecisionRights, userId: string, delegationsToUser: readonly Delegation[]): string[] | null {
  const named = namedDeciders(rights);
  if (named.length === 0) return [userId];
  const out = named.includes(userId) ? [userId] : [];
  for (const d of delegationsToUser) if (d.delegateUserId === userId && named.includes(d.userId) && !out.includes(d.userId)) out.push(d.userId);
  return out.length > 0 ? out : null;
}

/** Who to name as able to decide: the named people and, after each, their running delegate. */
export function decidersToName(rights: DecisionRights, delegationsFromNamed: readonly Delegation[]): { userId: string; delegateUserId: string | null }[] {
  return namedDeciders(rights).map((userId) => ({ userId, delegateUserId: delegationsFromNamed.find((d) => d.userId === userId)?.delegateUserId ?? null }));
}
