import { createHash } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { missingReferenceOfCreate, type IdentitiesApi } from '../platform/identities-api.ts';
import { isPlatformError } from '../platform/errors.ts';
import { slackApprovalChannel, type Identity, type IdentityCreate } from '../platform/schemas.ts';
import type { Logger } from '../logger.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { SETTING_KEYS, settingsColumns, settingsKeys } from './approval-settings.ts';
import type { IdentityValues } from './identity-values.ts';
import type { ChannelAccess, ChannelReadiness } from './ports.ts';
import { claimCreation, completeCreation, findIdentity, runClaimed, type StoredIdentity } from './store.ts';

/** How long a person waits (behind a "creating…" modal) before we give up and say so. */
const CREATE_DEADLINE_MS = 20_000;

export interface CreateIdentityRequest extends IdentityValues {
  /** The modal's view id: one modal creates at most one identity. */
  viewId: string;
  teamId: string;
  enterpriseId: string | null;
  userId: string;
  domainId: string;
  localPart: string;
}

/** The keys of approval_channel a 422 may name, each shown on its own field. */
const CHANNEL_KEYS = ['channel_id', 'approver_user_ids', ...SETTING_KEYS] as const;

/** API field names as the platform reports them in 422 `loc`; approval_channel's keys as `approval_channel.<key>`. */
export type ApiField = keyof IdentityCreate | `approval_channel.${(typeof CHANNEL_KEYS)[number]}`;

export type CreateIdentityOutcome =
  | { ok: true; identity: StoredIdentity }
  | { ok: false; code: 'in_progress' }
  | { ok: false; code: 'token_missing' }
  | { ok: false; code: 'token_rejected'; status: number }
  | { ok: false; code: 'channel_unusable'; reason: 'not_visible' | 'private_not_member' | 'archived' | 'slack_error'; detail?: string }
  | { ok: false; code: 'address_taken'; detail: string }
  | { ok: false; code: 'not_found'; field: 'domain_id' | 'assistant_id'; detail: string }
  | { ok: false; code: 'rejected'; fields: Partial<Record<ApiField, string>>; general: string[] }
  | { ok: false; code: 'unavailable'; detail: string }
  | { ok: false; code: 'not_saved'; detail: string };

export interface CreateIdentityDeps {
  db: Database;
  api: IdentitiesApi;
  tokenForTeam: TokenForTeam;
  channels: ChannelAccess;
  logger: Logger;
  /** Pokes the job worker, which posts the announcement. */
  wake: () => void;
  /** Records the platform workspace the team's token is of, as the created identity tells it. */
  learnWorkspace: (platformWorkspaceId: string) => Promise<void>;
}

export function requestBody(req: CreateIdentityRequest, channelName: string | null): IdentityCreate {
  return {
    domain_id: req.domainId,
    local_part: req.localPart,
    display_name: req.displayName,
    assistant_id: req.assistantId,
    reply_to_email: req.replyTo,
    signature_text: req.signatureText,
    signature_html: req.signatureHtml,
    thread_history_depth: req.threadDepth,
    approval_channel: {
      type: 'slack',
      team_id: req.teamId,
      ...(req.enterpriseId ? { enterprise_id: req.enterpriseId } : {}),
      channel_id: req.approvalChannelId,
      channel_name: channelName,
      ...(req.approverUserIds.length > 0 ? { approver_user_ids: req.approverUserIds } : {}),
      ...settingsKeys(req.settings),
    },
  };
}

/**
 * Same modal + same body → same key, so a retry can never create a second identity;
 * a corrected resubmission of the same modal gets a new key.
 */
export function idempotencyKey(viewId: string, body: IdentityCreate): string {
  // channel_name is display only and re-read each try; a rename must not change the key.
  const { approval_channel, ...rest } = body;
  const channel = approval_channel ? { ...approval_channel, channel_name: undefined } : undefined;
  const digest = createHash('sha256').update(JSON.stringify({ ...rest, approval_channel: channel })).digest('base64url').slice(0, 22);
  return `slack-identity-create:${viewId}:${digest}`;
}

export async function createIdentity(deps: CreateIdentityDeps, req: CreateIdentityRequest): Promise<CreateIdentityOutcome> {
  const token = await deps.tokenForTeam({ teamId: req.teamId, enterpriseId: req.enterpriseId });
  if (!token) return { ok: false, code: 'token_missing' };

  // The channel check runs beside the claim (it is read-only unless the bot must join a
  // public channel, which is harmless to repeat): one round trip less before the API call.
  const channel = deps.channels.prepare(req.approvalChannelId);
  // Awaited only when the claim is ours; a rejection meanwhile must not go unhandled.
  channel.catch(() => {});
  const claim = await claimCreation(deps.db, { viewId: req.viewId, teamId: req.teamId, userId: req.userId });
  if (!claim.owned) {
    const stored = claim.row.status === 'succeeded' && claim.row.identityId ? await findIdentity(deps.db, claim.row.identityId) : undefined;
    if (stored) return { ok: true, identity: stored };
    return { ok: false, code: 'in_progress' };
  }

  return runClaimed(deps.db, req.viewId, async () => createClaimed(deps, req, token, claim.attempt, await channel));
}

async function createClaimed(
  deps: CreateIdentityDeps,
  req: CreateIdentityRequest,
  token: string,
  attempt: number,
  channel: ChannelReadiness,
): Promise<CreateIdentityOutcome> {
  if (!channel.ok) return { ok: false, code: 'channel_unusable', reason: channel.reason, ...(channel.detail ? { detail: channel.detail } : {}) };

  const body = requestBody(req, channel.channelName);
  let created: Identity | undefined;
  try {
    created = await deps.api.createIdentity(token, body, { idempotencyKey: idempotencyKey(req.viewId, body), deadline: Date.now() + CREATE_DEADLINE_MS });
  } catch (e) {
    if (!isPlatformError(e)) throw e;
    deps.logger.warn(`createIdentity for team ${req.teamId} failed: ${e.kind} ${e.status ?? ''}`);
    switch (e.kind) {
      case 'unauthorized':
      case 'forbidden':
        return { ok: false, code: 'token_rejected', status: e.status ?? 401 };
      case 'conflict': {
        // An earlier try of this modal may have created it before its answer was lost.
        const mine = attempt > 1 ? await findOwnEarlierCreation(deps, token, req) : undefined;
        if (!mine) return { ok: false, code: 'address_taken', detail: e.detail ?? 'That address already exists.' };
        created = mine;
        break;
      }
      case 'not_found':
        return { ok: false, code: 'not_found', field: missingReferenceOfCreate(e), detail: e.detail ?? 'Not found.' };
      case 'validation':
        return { ok: false, code: 'rejected', ...fieldsFromIssues(e.issues ?? []) };
      case 'client':
        return { ok: false, code: 'rejected', fields: {}, general: [e.detail ?? `The platform refused the request (HTTP ${e.status}).`] };
      default:
        return { ok: false, code: 'unavailable', detail: e.kind };
    }
  }

  if (!created) return { ok: false, code: 'unavailable', detail: 'no identity returned' };
  let stored: StoredIdentity;
  try {
    stored = await completeCreation(deps.db, req.viewId, {
      id: created.id,
      teamId: req.teamId,
      enterpriseId: req.enterpriseId,
      workspaceId: created.workspace_id,
      emailAddress: created.email_address,
      displayName: created.display_name,
      domainId: created.domain_id,
      assistantId: created.assistant_id,
      approvalChannelId: req.approvalChannelId,
      approvalChannelName: channel.channelName,
      approverUserIds: req.approverUserIds,
      ...settingsColumns(req.settings),
      createdByUserId: req.userId,
    });
  } catch (e) {
    deps.logger.error(`identity ${created.id} was created on the platform but could not be stored`, e);
    return { ok: false, code: 'not_saved', detail: 'database' };
  }

  deps.wake();
  // Only a shortcut for later approval events: the identity exists either way.
  await deps.learnWorkspace(created.workspace_id).catch((e: unknown) => deps.logger.warn(`could not record the platform workspace of team ${req.teamId}`, e));
  return { ok: true, identity: stored };
}

/** The identity an earlier, unanswered try of this same modal created, if the platform has it. */
async function findOwnEarlierCreation(deps: CreateIdentityDeps, token: string, req: CreateIdentityRequest): Promise<Identity | undefined> {
  try {
    const { items } = await deps.api.listIdentities(token, { maxItems: 1000, deadline: Date.now() + 5000 });
    return items.find((i) => {
      const channel = slackApprovalChannel(i.approval_channel);
      return i.domain_id === req.domainId && i.local_part.toLowerCase() === req.localPart && channel?.team_id === req.teamId && channel.channel_id === req.approvalChannelId;
    });
  } catch {
    return undefined;
  }
}

const API_FIELDS: readonly (keyof IdentityCreate)[] = [
  'domain_id',
  'local_part',
  'display_name',
  'assistant_id',
  'reply_to_email',
  'signature_text',
  'signature_html',
  'thread_history_depth',
  'approval_channel',
];

/**
 * Maps FastAPI `detail[].loc` (["body", "local_part"]) onto the field each issue is about;
 * a key of approval_channel (["body", "approval_channel", "undo_seconds"]) onto that key.
 */
export function fieldsFromIssues(issues: readonly { loc: readonly (string | number)[]; msg: string }[]): {
  fields: Partial<Record<ApiField, string>>;
  general: string[];
} {
  const fields: Partial<Record<ApiField, string>> = {};
  const general: string[] = [];
  for (const issue of issues) {
    const path = issue.loc[0] === 'body' ? issue.loc.slice(1) : issue.loc;
    const channelKey = path[0] === 'approval_channel' ? CHANNEL_KEYS.find((k) => k === path[1]) : undefined;
    const field: ApiField | undefined = channelKey ? `approval_channel.${channelKey}` : API_FIELDS.find((f) => f === path[0]);
    if (field) fields[field] = fields[field] ? `${fields[field]} ${issue.msg}` : issue.msg;
    else general.push(issue.loc.length > 0 ? `${issue.loc.join('.')}: ${issue.msg}` : issue.msg);
  }
  return { fields, general };
}
