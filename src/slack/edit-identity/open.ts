import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { loadIdentityForEdit, type ReadFailure } from '../../identities/edit-identity.ts';
import { fingerprints } from '../../identities/identity-values.ts';
import { tokenStatusOfLink } from '../../workspaces/links.ts';
import type { SlackDeps } from '../deps.ts';
import { tokenMissingText, tokenRejectedText, tokenUnreadableText } from '../create-identity/replies.ts';
import { createIdentityModal } from '../create-identity/views.ts';
import { describeSlackError } from '../slack-errors.ts';
import { updateView } from '../web-api-calls.ts';
import { mayCreateIdentities } from '../workspace/permissions.ts';
import { encodeEditMetadata } from './metadata.ts';
import { GONE_TEXT, OTHER_TEAM_TEXT } from './replies.ts';
import { draftOf, loadFailedView } from './views.ts';

const identityId = z.guid();

export interface EditTarget {
  /** The open modal to fill: the picker, or the "Reading…" view the Edit button opened. */
  viewId: string;
  /** The view's hash, so a form the person has moved on from is not overwritten. */
  hash: string | undefined;
  teamId: string;
  enterpriseId: string | null;
  userId: string;
  identityId: string;
}

function whyNotLoaded(failure: ReadFailure): string {
  switch (failure.code) {
    case 'token_missing':
      return tokenMissingText('edit');
    case 'token_rejected':
      return tokenRejectedText('edit');
    case 'gone':
      return GONE_TEXT;
    case 'other_team':
      return OTHER_TEAM_TEXT;
    case 'unavailable':
      return `The platform did not answer (${failure.detail.replace('_', ' ')}), so I cannot show the identity’s current values, and will not show older ones as if they were current. Try again in a moment.`;
  }
}

/**
 * Fills an open modal with the edit form for one identity, its values read fresh from the
 * platform; or says why it cannot (not allowed, not this team's, the platform silent).
 * Who may edit: whoever may create in this workspace; the submission checks again.
 */
export async function showEditForm(deps: SlackDeps, client: WebClient, target: EditTarget): Promise<void> {
  const show = async (view: Parameters<typeof updateView>[1]['view']) => {
    try {
      await updateView(client, { view_id: target.viewId, ...(target.hash ? { hash: target.hash } : {}), view });
    } catch (e) {
      // hash_conflict or not_found: the person moved on or closed the modal; nothing to show.
      deps.logger.debug(`could not show the edit form in ${target.viewId}: ${describeSlackError(e).error}`);
    }
  };
  const link = await deps.links.find(target.teamId);
  const allowed = await mayCreateIdentities(link, client, target.userId);
  if (!allowed.ok) return show(loadFailedView(allowed.text));
  if ('unreadable' in tokenStatusOfLink(link, deps.workspace)) return show(loadFailedView(tokenUnreadableText('edit')));
  if (!identityId.safeParse(target.identityId).success) return show(loadFailedView(OTHER_TEAM_TEXT));

  const team = { teamId: target.teamId, enterpriseId: target.enterpriseId };
  const loaded = await loadIdentityForEdit(
    { db: deps.db, api: deps.api, tokenForTeam: deps.tokenForTeam, cache: deps.identityCache, logger: deps.logger },
    { ...team, identityId: target.identityId },
  ).catch((e: unknown): ReadFailure => {
    deps.logger.error('loading an identity to edit failed', e);
    return { ok: false, code: 'unavailable', detail: 'error' };
  });
  if (!loaded.ok) return show(loadFailedView(whyNotLoaded(loaded), loaded.code === 'unavailable' ? target.identityId : undefined));

  // The assistant menu shows names; the identity holds an id. A name that cannot be read is not worth failing for.
  const assistantId = loaded.values.assistantId;
  const assistants = assistantId ? await deps.catalog.assistants(team, { deadline: Date.now() + 2000 }).catch(() => undefined) : undefined;
  const assistantName = assistants?.ok ? assistants.items.find((a) => a.id === assistantId)?.name : undefined;

  const privateMetadata = encodeEditMetadata({ v: 1, id: loaded.identity.id, email: loaded.identity.email_address, shown: fingerprints(loaded.values) });
  await show(createIdentityModal({ draft: draftOf(loaded.values, assistantName), editing: { emailAddress: loaded.identity.email_address }, privateMetadata }));
}
