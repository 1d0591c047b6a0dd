import { z } from 'zod';

/**
 * The parts of Slack's payloads this app reads. Bolt hands us typed objects, but they
 * come off the wire; parsing them once here keeps a forged or odd payload from
 * reaching a use case half-formed.
 */
const teamFields = {
  enterprise_id: z.string().nullish(),
};

export const slashCommandSchema = z.object({
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
  text: z.string().default(''),
  response_url: z.string().optional(),
  ...teamFields,
});
export type SlashCommand = z.output<typeof slashCommandSchema>;

/** Who sent an interaction payload: its team, user and (Enterprise Grid) enterprise. */
export const payloadParties = {
  team: z.object({ id: z.string().min(1), enterprise_id: z.string().nullish() }).nullable().optional(),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  enterprise: z.object({ id: z.string() }).nullish(),
};

export const viewSubmissionSchema = z.object({
  ...payloadParties,
  view: z.object({
    id: z.string().min(1),
    hash: z.string().optional(),
    private_metadata: z.string().optional(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.unknown())) }),
  }),
});
export type ViewSubmission = z.output<typeof viewSubmissionSchema>;

export const blockSuggestionSchema = z.object({
  ...payloadParties,
  action_id: z.string(),
  value: z.string().default(''),
});
export type BlockSuggestion = z.output<typeof blockSuggestionSchema>;

/** The Slack team a payload came from: the team object, else the user's team. */
export function teamOf(payload: { team?: { id: string; enterprise_id?: string | null | undefined } | null | undefined; user: { team_id?: string | undefined }; enterprise?: { id: string } | null | undefined }) {
  const teamId = payload.team?.id ?? payload.user.team_id;
  if (!teamId) return undefined;
  return { teamId, enterpriseId: payload.enterprise?.id ?? payload.team?.enterprise_id ?? null };
}
