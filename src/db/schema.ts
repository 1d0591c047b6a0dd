import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

/** Local mirror of identities whose approval channel is in a Slack team this app serves. */
export const identities = pgTable(
  'identities',
  {
    id: text('id').primaryKey(),
    teamId: text('team_id').notNull(),
    enterpriseId: text('enterprise_id'),
    workspaceId: text('workspace_id').notNull(),
    emailAddress: text('email_address').notNull(),
    displayName: text('display_name').notNull(),
    domainId: text('domain_id').notNull(),
    assistantId: text('assistant_id'),
    approvalChannelId: text('approval_channel_id').notNull(),
    approvalChannelName: text('approval_channel_name'),
    approverUserIds: jsonb('approver_user_ids').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    createdByUserId: text('created_by_user_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('identities_team_idx').on(t.teamId, t.emailAddress)],
);

/**
 * One row per create-identity modal (its view id): makes a double submit or a
 * retried request create at most one identity, and lets a slow creation finish
 * after the modal has been acknowledged.
 */
export const identityCreations = pgTable('identity_creations', {
  viewId: text('view_id').primaryKey(),
  teamId: text('team_id').notNull(),
  userId: text('user_id').notNull(),
  status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull().default(1),
  identityId: text('identity_id'),
  lastError: text('last_error'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Append-only record of who did what, for people to query. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    teamId: text('team_id').notNull(),
    actorUserId: text('actor_user_id'),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_team_idx').on(t.teamId, t.createdAt), index('audit_log_subject_idx').on(t.subjectType, t.subjectId)],
);

export const schema = { identities, identityCreations, auditLog };
