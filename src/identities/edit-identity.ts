import { createHash } from 'node:crypto';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { isPlatformError, type PlatformError } from '../platform/errors.ts';
import { missingReferenceOfUpdate, type IdentitiesApi } from '../platform/identities-api.ts';
import { ApprovalChannel, slackApprovalChannel, type Identity, type IdentityUpdate } from '../platform/schemas.ts';
import type { TokenForTeam } from '../workspaces/tokens.ts';
import { SETTING_KEYS, settingsKeys } from './approval-settings.ts';
import { fieldsFromIssues, type ApiField } from './create-identity.ts';
import type { IdentityCache } from './identity-cache.ts';
import { CHANNEL_FIELDS, changedFields, comparable, differingFields, mirrorColumnsOf, valuesOf, type EditableField, type IdentityValues } from './identity-values.ts';
import type { ChannelAccess, ChannelReadiness } from './ports.ts';
import { claimCreation, completeEdit, findIdentity, followPlatformIfChanged, runClaimed, type StoredIdentity } from './store.ts';

/** How long a person waits (behind a "Saving…" modal) before we give up and say so. */
const EDIT_DEADLINE_MS = 20_000;
/** Reading the current values to fill the form. */
const READ_DEADLINE_MS = 10_000;

export interface EditIdentityDeps {
  db: Database;
  api: IdentitiesApi;
  tokenForTeam: TokenForTeam;
  channels: ChannelAccess;
  logger: Logger;
  /** Pokes the job worker, which posts the moved notes. */
  wake: () => void;
  /** The approval intake's identities: an edit replaces its entry. */
  cache: IdentityCache;
}

interface Team {
  teamId: string;
  enterpriseId: string | null;
}

/** Why the current values could not be read (or may not be edited from this team). */
export type ReadFailure =
  | { ok: false; code: 'token_missing' }
  | { ok: false; code: 'token_rejected'; status: number }
  /** Unknown to the platform workspace of this team's token. */
  | { ok: false; code: 'gone' }
  /** Its approval channel is not in this Slack team: not this team's to edit. */
  | { ok: false; code: 'other_team' }
  | { ok: false; code: 'unavailable'; detail: string };

export type LoadForEditOutcome = { ok: true; identity: Identity; values: IdentityValues } | ReadFailure;

export type EditIdentityOutcome =
  | { ok: true; identity: StoredIdentity; changed: EditableField[]; moved: boolean }
  /** The form holds what it was filled with: nothing to send. */
  | { ok: false; code: 'unchanged' }
  | { ok: false; code: 'in_progress' }
  | ReadFailure
  | { ok: false; code: 'channel_unusable'; reason: 'not_visible' | 'private_not_member' | 'archived' | 'slack_error'; detail?: string }
  | { ok: false; code: 'not_found'; field: 'assistant_id'; detail: string }
  | { ok: false; code: 'conflict'; detail: string }
  | { ok: false; code: 'rejected'; fields: Partial<Record<ApiField, string>>; general: string[] }
  | { ok: false; code: 'not_saved'; detail: string };

export interface EditIdentityRequest extends Team {
  /** The edit modal's view id: one submission makes at most one PATCH. */
  viewId: string;
  userId: string;
  identityId: string;
  values: IdentityValues;
  /** The fingerprints of the values the form was filled with, to tell what the person changed. */
  shown: Partial<Record<string, string>>;
}

const refusedToken = (e: PlatformError) => e.kind === 'unauthorized' || e.kind === 'forbidden';

/** The platform's current copy, if it is this team's to edit. */
async function readCurrent(
  api: IdentitiesApi,
  token: string,
  teamId: string,
  identityId: string,
  deadline: number,
): Promise<{ ok: true; identity: Identity; channel: ApprovalChannel } | ReadFailure> {
  let identity: Identity;
  try {
    identity = await api.getIdentity(token, identityId, { deadline });
  } catch (e) {
    if (!isPlatformError(e)) throw e;
    if (refusedToken(e)) return { ok: false, code: 'token_rejected', status: e.status ?? 401 };
    if (e.kind === 'not_found' || e.kind === 'validation') return { ok: false, code: 'gone' };
    return { ok: false, code: 'unavailable', detail: e.kind };
  }
  const channel = slackApprovalChannel(identity.approval_channel);
  if (!channel || channel.team_id !== teamId) return { ok: false, code: 'other_team' };
  return { ok: true, identity, channel };
}

/**
 * The current values to fill the edit form, read from the platform (never only from the
 * mirror, which may lag an edit made elsewhere). A mirror that differs follows it.
 */
export async function loadIdentityForEdit(
  deps: Pick<EditIdentityDeps, 'db' | 'api' | 'tokenForTeam' | 'cache' | 'logger'>,
  req: Team & { identityId: string },
): Promise<LoadForEditOutcome> {
  const token = await deps.tokenForTeam(req);
  if (!token) return { ok: false, code: 'token_missing' };
  const current = await readCurrent(deps.api, token, req.teamId, req.identityId, Date.now() + READ_DEADLINE_MS);
  if (!current.ok) return current;
  try {
    const followed = await followPlatformIfChanged(deps.db, mirrorColumnsOf(current.identity, current.channel, req.teamId));
    if (followed) deps.cache.remember(followed);
  } catch (e) {
    // The form can still be shown; the mirror catches up on the next edit or event.
    deps.logger.warn(`could not bring the mirror of identity ${req.identityId} in step with the platform`, e);
  }
  return { ok: true, identity: current.identity, values: valuesOf(current.identity, current.channel) };
}

export async function editIdentity(deps: EditIdentityDeps, req: EditIdentityRequest): Promise<EditIdentityOutcome> {
  const changed = changedFields(req.shown, req.values);
  if (changed.length === 0) return { ok: false, code: 'unchanged' };
  const token = await deps.tokenForTeam(req);
  if (!token) return { ok: false, code: 'token_missing' };

  // As for creation: the channel check runs beside the claim, and only for a new channel.
  const readiness = changed.includes('channel_id') ? deps.channels.prepare(req.values.approvalChannelId) : undefined;
  readiness?.catch(() => {});
  const claim = await claimCreation(deps.db, { viewId: req.viewId, teamId: req.teamId, userId: req.userId });
  if (!claim.owned) {
    const stored = claim.row.status === 'succeeded' && claim.row.identityId ? await findIdentity(deps.db, claim.row.identityId) : undefined;
    if (stored) return { ok: true, identity: stored, changed: [], moved: false };
    return { ok: false, code: 'in_progress' };
  }

  return runClaimed(deps.db, req.viewId, () => editClaimed(deps, req, token, changed, readiness));
}

async function editClaimed(
  deps: EditIdentityDeps,
  req: EditIdentityRequest,
  token: string,
  changed: EditableField[],
  readiness: Promise<ChannelReadiness> | undefined,
): Promise<EditIdentityOutcome> {
  const deadline = Date.now() + EDIT_DEADLINE_MS;
  // Read again now, not when the form opened: the PATCH is built on the platform's copy as it is.
  const current = await readCurrent(deps.api, token, req.teamId, req.identityId, deadline);
  if (!current.ok) return current;
  const channel = readiness ? await readiness : undefined;
  if (channel && !channel.ok) return { ok: false, code: 'channel_unusable', reason: channel.reason, ...(channel.detail ? { detail: channel.detail } : {}) };

  const before = valuesOf(current.identity, current.channel);
  // What the person changed and the platform does not hold already. Nothing left means an
  // earlier try's answer was lost, or someone made the same change: the values are in place.
  const differing = differingFields(before, req.values);
  const fields = changed.filter((f) => differing.includes(f));
  let updated = current.identity;
  if (fields.length > 0) {
    const body = patchBody(current.identity, req.values, fields, channel?.ok ? channel.channelName : null);
    try {
      updated = await deps.api.updateIdentity(token, req.identityId, body, { idempotencyKey: editKey(req.viewId, body), deadline });
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      deps.logger.warn(`updateIdentity for team ${req.teamId} failed: ${e.kind} ${e.status ?? ''}`);
      return refusalOf(e);
    }
  }

  const updatedChannel = slackApprovalChannel(updated.approval_channel);
  if (!updatedChannel || updatedChannel.team_id !== req.teamId) return { ok: false, code: 'unavailable', detail: 'the platform answered with another approval channel' };
  const after = valuesOf(updated, updatedChannel);
  const edited = differingFields(before, after);
  const mirrored = await findIdentity(deps.db, req.identityId).catch(() => undefined);
  // Moved from where approvals went until now: the mirror's channel (intake posts there).
  const from = mirrored?.approvalChannelId ?? before.approvalChannelId;
  const movedFrom = from !== after.approvalChannelId ? from : null;
  let stored: StoredIdentity;
  try {
    stored = await completeEdit(deps.db, {
      viewId: req.viewId,
      identity: mirrorColumnsOf(updated, updatedChannel, req.teamId),
      actorUserId: req.userId,
      changes: auditChanges(before, after, edited),
      movedFrom,
    });
  } catch (e) {
    deps.logger.error(`identity ${req.identityId} was changed on the platform but the mirror could not be updated`, e);
    return { ok: false, code: 'not_saved', detail: 'database' };
  }
  deps.cache.remember(stored);
  if (movedFrom) deps.wake();
  return { ok: true, identity: stored, changed: edited, moved: movedFrom !== null };
}

function refusalOf(e: PlatformError): EditIdentityOutcome {
  switch (e.kind) {
    case 'unauthorized':
    case 'forbidden':
      return { ok: false, code: 'token_rejected', status: e.status ?? 401 };
    case 'not_found':
      return missingReferenceOfUpdate(e) === 'assistant_id' ? { ok: false, code: 'not_found', field: 'assistant_id', detail: e.detail ?? 'Not found.' } : { ok: false, code: 'gone' };
    case 'conflict':
      return { ok: false, code: 'conflict', detail: e.detail ?? 'The identity changed on the platform.' };
    case 'validation':
      return { ok: false, code: 'rejected', ...fieldsFromIssues(e.issues ?? []) };
    case 'client':
      return { ok: false, code: 'rejected', fields: {}, general: [e.detail ?? `The platform refused the request (HTTP ${e.status}).`] };
    default:
      return { ok: false, code: 'unavailable', detail: e.kind };
  }
}

/**
 * Only the fields to change. A change to any key of approval_channel sends it whole, as the
 * platform replaces it: the platform's current copy with the changed keys applied, so keys
 * other front ends wrote stay as they are.
 */
export function patchBody(current: Identity, values: IdentityValues, fields: readonly EditableField[], newChannelName: string | null): IdentityUpdate {
  const body: IdentityUpdate = {};
  const whole: Record<string, unknown> = { ...current.approval_channel };
  const settings = settingsKeys(values.settings);
  for (const field of fields) {
    switch (field) {
      case 'display_name':
        body.display_name = values.displayName;
        break;
      case 'assistant_id':
        body.assistant_id = values.assistantId;
        break;
      case 'reply_to_email':
        body.reply_to_email = values.replyTo;
        break;
      case 'signature_text':
        body.signature_text = values.signatureText;
        break;
      case 'signature_html':
        body.signature_html = values.signatureHtml;
        break;
      case 'thread_history_depth':
        body.thread_history_depth = values.threadDepth;
        break;
      case 'channel_id':
        whole['channel_id'] = values.approvalChannelId;
        whole['channel_name'] = newChannelName;
        break;
      case 'approver_user_ids':
        if (values.approverUserIds.length > 0) whole['approver_user_ids'] = values.approverUserIds;
        else delete whole['approver_user_ids'];
        break;
      default: {
        // A setting: written when it is not the default, removed when it is (absent means the default).
        const key = SETTING_KEYS.find((k) => k === field)!;
        if (settings[key] !== undefined) whole[key] = settings[key];
        else delete whole[key];
      }
    }
  }
  if (fields.some((f) => CHANNEL_FIELDS.includes(f))) body.approval_channel = ApprovalChannel.loose().parse(whole);
  return body;
}

/** One submission's PATCH, retried with the same body, carries the same key. */
function editKey(viewId: string, body: IdentityUpdate): string {
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22);
  return `slack-identity-edit:${viewId}:${digest}`;
}

/** Long texts are kept short in the audit trail: it says what changed, not every word. */
const AUDIT_TEXT_LIMIT = 500;

function auditChanges(before: IdentityValues, after: IdentityValues, fields: readonly EditableField[]): Record<string, { before: unknown; after: unknown }> {
  const a = comparable(before);
  const b = comparable(after);
  const short = (v: unknown) => (typeof v === 'string' && v.length > AUDIT_TEXT_LIMIT ? `${v.slice(0, AUDIT_TEXT_LIMIT)}…` : v);
  return Object.fromEntries(fields.map((f) => [f, { before: short(a[f]), after: short(b[f]) }]));
}
