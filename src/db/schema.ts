import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

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
    /** The approval settings, as the platform holds them in approval_channel (see the contract). */
    requiredApprovals: integer('required_approvals').notNull().default(1),
    remindAfterMinutes: integer('remind_after_minutes'),
    escalationUserIds: jsonb('escalation_user_ids').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    undoSeconds: integer('undo_seconds').notNull().default(0),
    /** Why the approval channel cannot be posted in (archived, deleted, the bot removed…); null while it works. */
    channelProblem: text('channel_problem'),
    channelProblemAt: timestamp('channel_problem_at', { withTimezone: true }),
    /** When the mirror last matched the platform's copy (created, mirrored, or read back). */
    syncedAt: timestamp('synced_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    createdByUserId: text('created_by_user_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('identities_team_idx').on(t.teamId, t.emailAddress), index('identities_channel_idx').on(t.approvalChannelId)],
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


/** Durable work (posting, updating, reporting decisions), claimed with FOR UPDATE SKIP LOCKED. */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** A job enqueued twice under one key exists (and runs) once, ever. */
    dedupeKey: text('dedupe_key'),
    status: text('status', { enum: ['queued', 'running', 'done', 'dead'] }).notNull().default('queued'),
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(12),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('jobs_dedupe_key_idx').on(t.dedupeKey),
    // Claims read the due jobs of a status in (run_at, id) order, stopping at the limit.
    index('jobs_ready_idx').on(t.status, t.runAt, t.id),
  ],
);

/** Every webhook event id seen, so a redelivery has no second effect. */
export const approvalEvents = pgTable('approval_events', {
  eventId: text('event_id').primaryKey(),
  approvalId: text('approval_id').notNull(),
  type: text('type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'expired';

/** A drafted reply waiting for (or past) a person's decision, and where it is shown in Slack. */
export const approvals = pgTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    teamId: text('team_id').notNull(),
    identityId: text('identity_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    emailThreadId: text('email_thread_id'),
    status: text('status', { enum: ['pending', 'approved', 'rejected', 'cancelled', 'expired'] }).notNull().default('pending'),
    /** The event's data as received: inbound mail, thread, draft. */
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    channelId: text('channel_id').notNull(),
    messageTs: text('message_ts'),
    /** Slack thread the message belongs to (the first approval of its email thread), if any. */
    threadTs: text('thread_ts'),
    /** Set just before chat.postMessage, so a retry after a crash looks for the message first. */
    postAttemptedAt: timestamp('post_attempted_at', { withTimezone: true, mode: 'date' }),
    /** When the message was known to be posted (database clock), for the latency metrics. */
    postedAt: timestamp('posted_at', { withTimezone: true, mode: 'date' }),
    decidedByUserId: text('decided_by_user_id'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    editedDraft: jsonb('edited_draft').$type<{ subject: string; text: string }>(),
    rejectReason: text('reject_reason'),
    /** What the platform said about the decision: pending until reported. */
    reportStatus: text('report_status', { enum: ['none', 'pending', 'accepted', 'refused', 'failed'] }).notNull().default('none'),
    reportDetail: text('report_detail'),
    closedReason: text('closed_reason'),
    /** Bumped on every change a message shows, so a slow update can tell it rendered an old state. */
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('approvals_thread_idx').on(t.teamId, t.channelId, t.emailThreadId, t.createdAt),
    index('approvals_expiry_idx').on(t.status, t.expiresAt),
  ],
);


/** Slack OAuth installations (bot tokens encrypted); one per team, or per org for org-wide installs. */
export const slackInstallations = pgTable(
  'slack_installations',
  {
    /** `E…` for an org-wide install, otherwise the team id. */
    id: text('id').primaryKey(),
    teamId: text('team_id'),
    enterpriseId: text('enterprise_id'),
    isEnterpriseInstall: boolean('is_enterprise_install').notNull().default(false),
    appId: text('app_id'),
    botUserId: text('bot_user_id').notNull(),
    botId: text('bot_id'),
    botScopes: text('bot_scopes').notNull().default(''),
    botTokenCiphertext: text('bot_token_ciphertext').notNull(),
    installerUserId: text('installer_user_id'),
    installedAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('slack_installations_enterprise_idx').on(t.enterpriseId)],
);

/** A Slack team linked to a platform workspace by its API token (encrypted), and who may create identities. */
export const workspaceLinks = pgTable('workspace_links', {
  teamId: text('team_id').primaryKey(),
  enterpriseId: text('enterprise_id'),
  apiTokenCiphertext: text('api_token_ciphertext').notNull(),
  /** Learned from the platform's answers; null until then. */
  platformWorkspaceId: text('platform_workspace_id'),
  createPermission: text('create_permission', { enum: ['admins', 'everyone'] }).notNull().default('admins'),
  connectedByUserId: text('connected_by_user_id').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * A person's out-of-office: until `ends_at`, `delegate_user_id` may decide whatever this
 * person may, and reminders name the delegate too. One row per person and team.
 */
export const outOfOffice = pgTable(
  'out_of_office',
  {
    teamId: text('team_id').notNull(),
    userId: text('user_id').notNull(),
    delegateUserId: text('delegate_user_id').notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('out_of_office_person_idx').on(t.teamId, t.userId), index('out_of_office_delegate_idx').on(t.teamId, t.delegateUserId)],
);

export const schema = { identities, identityCreations, auditLog, jobs, approvalEvents, approvals, slackInstallations, workspaceLinks, outOfOffice };
