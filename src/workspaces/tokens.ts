/**
 * Finds the platform API token for a Slack team. Every API call goes through this,
 * so per-workspace tokens only change this one function.
 */
export type TokenForTeam = (team: { teamId: string; enterpriseId?: string | null }) => Promise<string | undefined>;
