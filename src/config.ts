import { z } from 'zod';

/** Every environment variable the app reads, with the hint a person needs when one is wrong. */
const hints = {
  SLACK_SIGNING_SECRET: 'copy it from your Slack app: Basic Information → App Credentials → Signing Secret',
  SLACK_BOT_TOKEN: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app: OAuth & Permissions',
  SLACK_APP_TOKEN: 'create an app-level token with connections:write (xapp-…) under Basic Information → App-Level Tokens',
  SLACK_API_URL: 'leave unset for real Slack (https://slack.com/api/)',
  SLACK_CLIENT_ID: 'copy it from your Slack app: Basic Information → App Credentials',
  SLACK_CLIENT_SECRET: 'copy it from your Slack app: Basic Information → App Credentials',
  SLACK_STATE_SECRET: 'any random string of at least 16 characters, e.g. `openssl rand -hex 32`',
  IDENTITIES_API_URL: 'the base URL of the Identities API, e.g. https://api.example.com',
  IDENTITIES_API_TOKEN: 'an API token of your platform workspace',
  APPROVAL_WEBHOOK_SECRET: 'the signing secret the platform uses for approval webhooks (at least 16 characters)',
  TOKEN_ENCRYPTION_KEY: 'generate one with `openssl rand -base64 32` (several, comma-separated, to rotate: the first encrypts)',
  DATABASE_URL: 'postgres://user:pass@host:5432/db, file:<dir> for embedded PGlite on disk, or memory://',
  PORT: 'a TCP port number between 1 and 65535',
  LOG_LEVEL: 'one of debug, info, warn, error',
  LOG_FORMAT: 'json gives one JSON object a line for log collectors; text (the default) is for people',
  JOB_LEASE_SECONDS: 'how long a background job may run before another instance may take it over (5–3600)',
  RETENTION_DAYS: 'whole days to keep finished jobs and stored webhook events (1–36500)',
  AUDIT_RETENTION_DAYS: 'whole days to keep audit entries (1–36500)',
} as const;

export type EnvName = keyof typeof hints;

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const encryptionKeys = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const keys = v.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const decoded: Buffer[] = [];
    for (const k of keys) {
      const bytes = Buffer.from(k, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || bytes.length !== 32) {
        ctx.addIssue({ code: 'custom', message: 'each key must be 32 bytes, base64-encoded' });
        return z.NEVER;
      }
      decoded.push(bytes);
    }
    return decoded.length > 0 ? decoded : undefined;
  })
  .optional();

/** TOKEN_ENCRYPTION_KEY alone, for tools that need no other setting. */
export function parseEncryptionKeys(value: string | undefined): { ok: true; keys: Buffer[] } | { ok: false; problem: string } {
  const parsed = encryptionKeys.safeParse(value);
  if (!parsed.success) return { ok: false, problem: `TOKEN_ENCRYPTION_KEY ${parsed.error.issues[0]?.message ?? 'is invalid'}: ${hints.TOKEN_ENCRYPTION_KEY}` };
  return { ok: true, keys: parsed.data ?? [] };
}

const databaseUrl = z
  .string()
  .trim()
  .default('file:./data/pglite')
  .refine((v) => /^(postgres|postgresql):\/\/.+/.test(v) || /^file:.+/.test(v) || v === 'memory://', {
    message: 'must start with postgres://, file: or be memory://',
  });

const days = z.coerce
  .number({ error: 'must be a whole number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(36500, 'must be at most 36500 days');

const envSchema = z
  .object({
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), 'must start with xoxb-'),
    SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), 'must start with xapp-'),
    SLACK_CLIENT_ID: optionalText,
    SLACK_CLIENT_SECRET: optionalText,
    SLACK_STATE_SECRET: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
    SLACK_API_URL: optionalText
      .default('https://slack.com/api/')
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
      // WebClient joins method names onto this base, so it needs the trailing slash.
      .transform((v) => (v.endsWith('/') ? v : `${v}/`)),
    IDENTITIES_API_URL: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'is required')
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
    IDENTITIES_API_TOKEN: optionalText,
    APPROVAL_WEBHOOK_SECRET: z.string({ error: 'is required' }).trim().min(16, 'is required (at least 16 characters)'),
    TOKEN_ENCRYPTION_KEY: encryptionKeys,
    DATABASE_URL: databaseUrl,
    PORT: z.coerce.number({ error: 'must be a number' }).int().min(1).max(65535).default(3000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }).default('info'),
    LOG_FORMAT: z.enum(['text', 'json'], { error: 'must be text or json' }).default('text'),
    JOB_LEASE_SECONDS: z.coerce.number({ error: 'must be a number' }).int().min(5).max(3600).default(60),
    RETENTION_DAYS: days.default(30),
    AUDIT_RETENTION_DAYS: days.default(365),
  })
  .superRefine((env, ctx) => {
    const socketMode = env.SLACK_APP_TOKEN !== undefined;
    if (!socketMode && env.SLACK_SIGNING_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)' });
    }
    const oauth = [env.SLACK_CLIENT_ID, env.SLACK_CLIENT_SECRET, env.SLACK_STATE_SECRET];
    const oauthCount = oauth.filter((v) => v !== undefined).length;
    if (oauthCount > 0 && oauthCount < 3) {
      for (const name of ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const) {
        if (env[name] === undefined) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'is required when any of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET is set' });
        }
      }
    }
    if (socketMode && env.SLACK_BOT_TOKEN === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is required in Socket Mode (OAuth installs need HTTP mode)' });
    }
    if (oauthCount === 3 && env.TOKEN_ENCRYPTION_KEY === undefined) {
      ctx.addIssue({ code: 'custom', path: ['TOKEN_ENCRYPTION_KEY'], message: 'is required for OAuth installs (bot tokens are stored encrypted)' });
    }
    if (env.SLACK_BOT_TOKEN === undefined && oauthCount === 0 && !socketMode) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is required (or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET for OAuth installs)' });
    }
  });

export type Env = z.output<typeof envSchema>;

export interface Config {
  slack: {
    signingSecret: string | undefined;
    botToken: string | undefined;
    appToken: string | undefined;
    apiUrl: string;
    oauth: { clientId: string; clientSecret: string; stateSecret: string } | undefined;
  };
  identitiesApi: { url: string; defaultToken: string | undefined };
  approvalWebhookSecret: string;
  tokenEncryptionKeys: Buffer[];
  databaseUrl: string;
  port: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'text' | 'json';
  /** A job held longer than this by a dead instance is run again by another. */
  jobLeaseMs: number;
  /** Finished jobs and stored events older than `days`, audit entries older than `auditDays`, are pruned. */
  retention: { days: number; auditDays: number };
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Pure: reads only the record it is given, so tests pass plain objects. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  // An empty value (`PORT=` in a .env file) means "use the default", as if unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const hint = name in hints ? hints[name as EnvName] : undefined;
      return `${name} ${issue.message}${hint ? `: ${hint}` : ''}`;
    });
    return { ok: false, problems: [...new Set(problems)] };
  }
  const e = parsed.data;
  return {
    ok: true,
    config: {
      slack: {
        signingSecret: e.SLACK_SIGNING_SECRET,
        botToken: e.SLACK_BOT_TOKEN,
        appToken: e.SLACK_APP_TOKEN,
        apiUrl: e.SLACK_API_URL,
        oauth:
          e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_STATE_SECRET
            ? { clientId: e.SLACK_CLIENT_ID, clientSecret: e.SLACK_CLIENT_SECRET, stateSecret: e.SLACK_STATE_SECRET }
            : undefined,
      },
      identitiesApi: { url: e.IDENTITIES_API_URL, defaultToken: e.IDENTITIES_API_TOKEN },
      approvalWebhookSecret: e.APPROVAL_WEBHOOK_SECRET,
      tokenEncryptionKeys: e.TOKEN_ENCRYPTION_KEY ?? [],
      databaseUrl: e.DATABASE_URL,
      port: e.PORT,
      logLevel: e.LOG_LEVEL,
      logFormat: e.LOG_FORMAT,
      jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
      retention: { days: e.RETENTION_DAYS, auditDays: e.AUDIT_RETENTION_DAYS },
    },
  };
}

/** Values that must never reach a log line. */
export function secretsOf(config: Config): string[] {
  return [
    config.slack.signingSecret,
    config.slack.botToken,
    config.slack.appToken,
    config.slack.oauth?.clientSecret,
    config.slack.oauth?.stateSecret,
    config.identitiesApi.defaultToken,
    config.approvalWebhookSecret,
    ...config.tokenEncryptionKeys.map((k) => k.toString('base64')),
  ].filter((s): s is string => s !== undefined && s.length >= 8);
}
