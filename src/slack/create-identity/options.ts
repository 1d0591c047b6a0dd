import type { App, types as slack } from '@slack/bolt';
import { isVerified } from '../../identities/catalog.ts';
import type { SlackDeps } from '../deps.ts';
import { blockSuggestionSchema, teamOf } from '../payloads.ts';
import { plain } from '../blocks/text.ts';
import { Field } from './views.ts';

const MAX_OPTIONS = 100;

function matches(name: string, query: string): boolean {
  return query === '' || name.toLowerCase().includes(query.toLowerCase());
}

/**
 * A disabled-looking option that explains an empty menu; its value is not a UUID,
 * so choosing it is caught by the form's validation.
 */
const explanation = (text: string): slack.PlainTextOption => ({ text: plain(text, 75), value: 'unavailable' });

const WHY = {
  token_missing: 'Workspace not connected to the platform',
  token_rejected: 'The workspace API token was refused',
  unavailable: 'Could not load the list; open the menu again',
} as const;

/** A failure of ours (the database, a bug) still gets the menu an explanation, not Slack's silence. */
const failedLoad = (deps: SlackDeps) => (e: unknown) => {
  deps.logger.error('loading menu options failed', e);
  return { ok: false as const, code: 'unavailable' as const };
};

export function registerCreateIdentityOptions(app: App, deps: SlackDeps): void {
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: Field.domain }, async ({ ack, body }) => {
    const parsed = blockSuggestionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team) return ack({ options: [] });
    const result = await deps.catalog.domains(team, { deadline: Date.now() + deps.ackBudgetMs - 200 }).catch(failedLoad(deps));
    if (!result.ok) return ack({ options: [explanation(WHY[result.code])] });
    const verified = result.items.filter(isVerified);
    if (verified.length === 0) {
      const pending = result.items.length;
      return ack({ options: [explanation(pending > 0 ? `No verified domain yet (${pending} pending verification)` : 'No domains: add one on the platform')] });
    }
    const options = verified
      .filter((d) => matches(d.name, parsed.data.value))
      .slice(0, MAX_OPTIONS)
      .map((d) => ({ text: plain(d.name, 75), value: d.id }));
    return ack({ options });
  });

  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: Field.assistant }, async ({ ack, body }) => {
    const parsed = blockSuggestionSchema.safeParse(body);
    const team = parsed.success ? teamOf(parsed.data) : undefined;
    if (!parsed.success || !team) return ack({ options: [] });
    const result = await deps.catalog.assistants(team, { deadline: Date.now() + deps.ackBudgetMs - 200 }).catch(failedLoad(deps));
    if (!result.ok) return ack({ options: [explanation(WHY[result.code])] });
    const options = result.items
      .filter((a) => matches(a.name, parsed.data.value))
      .slice(0, MAX_OPTIONS)
      .map((a) => ({ text: plain(a.name, 75), value: a.id }));
    return ack({ options });
  });
}
