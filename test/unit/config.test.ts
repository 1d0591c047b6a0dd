import { describe, expect, it } from 'vitest';
import { parseConfig, secretsOf } from '../../src/config.ts';

const valid = {
  SLACK_SIGNING_SECRET: 'signing-secret-123',
  SLACK_BOT_TOKEN: 'xoxb-1-abc',
  IDENTITIES_API_URL: 'https://api.example.com',
  APPROVAL_WEBHOOK_SECRET: 'webhook-secret-0123456789',
};

function problems(env: Record<string, string | undefined>): string[] {
  const result = parseConfig(env);
  return result.ok ? [] : result.problems;
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const result = parseConfig(valid);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      logFormat: 'text',
      databaseUrl: 'file:./data/pglite',
      slack: { apiUrl: 'https://slack.com/api/', botToken: 'xoxb-1-abc', appToken: undefined, oauth: undefined },
      identitiesApi: { url: 'https://api.example.com', defaultToken: undefined },
      tokenEncryptionKeys: [],
      retention: { days: 30, auditDays: 365 },
    });
  });

  it('names each missing required variable with how to get it', () => {
    const out = problems({});
    expect(out.some((p) => p.startsWith('IDENTITIES_API_URL is required: the base URL'))).toBe(true);
    expect(out.some((p) => p.startsWith('APPROVAL_WEBHOOK_SECRET is required'))).toBe(true);
  });

  it('requires the signing secret in HTTP mode but not in Socket Mode', () => {
    const { SLACK_SIGNING_SECRET: _, ...withoutSecret } = valid;
    expect(problems(withoutSecret)).toEqual([expect.stringMatching(/^SLACK_SIGNING_SECRET is required in HTTP mode/)]);
    expect(parseConfig({ ...withoutSecret, SLACK_APP_TOKEN: 'xapp-1-abc' }).ok).toBe(true);
    const { SLACK_BOT_TOKEN: _t, ...socketWithoutBot } = withoutSecret;
    expect(problems({ ...socketWithoutBot, SLACK_APP_TOKEN: 'xapp-1-abc' })).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN is required in Socket Mode/)]);
  });

  it('requires a bot token or the complete OAuth triple', () => {
    const { SLACK_BOT_TOKEN: _, ...withoutToken } = valid;
    expect(problems(withoutToken)).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN is required/)]);
    expect(problems({ ...withoutToken, SLACK_CLIENT_ID: '123.456' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SLACK_CLIENT_SECRET is required when/), expect.stringMatching(/^SLACK_STATE_SECRET is required when/)]),
    );
    const oauthEnv = { ...withoutToken, SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'client-secret', SLACK_STATE_SECRET: 'state-secret-0123456789' };
    expect(problems(oauthEnv)).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is required for OAuth installs/)]);
    const oauth = parseConfig({ ...oauthEnv, TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(oauth.ok && oauth.config.slack.oauth).toEqual({ clientId: '1.2', clientSecret: 'client-secret', stateSecret: 'state-secret-0123456789' });
  });

  it.each([
    ['PORT', 'abc', /^PORT must be a number/],
    ['PORT', '70000', /^PORT .*65535/],
    ['LOG_LEVEL', 'verbose', /^LOG_LEVEL must be debug, info, warn or error/],
    ['LOG_FORMAT', 'pretty', /^LOG_FORMAT must be text or json: json gives one JSON object a line/],
    ['LOG_FORMAT', 'JSON', /^LOG_FORMAT must be text or json/],
    ['IDENTITIES_API_URL', 'not a url', /^IDENTITIES_API_URL must be an http\(s\) URL/],
    ['SLACK_API_URL', 'ftp://x', /^SLACK_API_URL must be an http\(s\) URL/],
    ['SLACK_BOT_TOKEN', 'xoxp-user-token', /^SLACK_BOT_TOKEN must start with xoxb-/],
    ['SLACK_APP_TOKEN', 'xoxb-nope', /^SLACK_APP_TOKEN must start with xapp-/],
    ['TOKEN_ENCRYPTION_KEY', 'c2hvcnQ=', /^TOKEN_ENCRYPTION_KEY each key must be 32 bytes, base64-encoded: generate one with `openssl rand -base64 32`/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL must start with postgres:\/\/, file: or be memory:\/\//],
    ['APPROVAL_WEBHOOK_SECRET', 'short', /^APPROVAL_WEBHOOK_SECRET is required \(at least 16 characters\)/],
    ['RETENTION_DAYS', 'thirty', /^RETENTION_DAYS must be a whole number of days: whole days to keep finished jobs/],
    ['RETENTION_DAYS', '0', /^RETENTION_DAYS must be at least 1 day/],
    ['RETENTION_DAYS', '7.5', /^RETENTION_DAYS must be a whole number of days/],
    ['AUDIT_RETENTION_DAYS', '-1', /^AUDIT_RETENTION_DAYS must be at least 1 day: whole days to keep audit entries/],
    ['AUDIT_RETENTION_DAYS', '99999', /^AUDIT_RETENTION_DAYS must be at most 36500 days/],
  ])('rejects a malformed %s (%s) with a line naming it', (name, value, expected) => {
    expect(problems({ ...valid, [name]: value })).toEqual([expect.stringMatching(expected)]);
  });

  it('reads LOG_FORMAT text or json, empty meaning the default', () => {
    const formatOf = (value: string) => {
      const result = parseConfig({ ...valid, LOG_FORMAT: value });
      return result.ok ? result.config.logFormat : result.problems;
    };
    expect([formatOf('json'), formatOf('text'), formatOf('')]).toEqual(['json', 'text', 'text']);
  });

  it('adds the trailing slash WebClient needs to SLACK_API_URL', () => {
    const result = parseConfig({ ...valid, SLACK_API_URL: 'http://127.0.0.1:9999/api' });
    expect(result.ok && result.config.slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
  });

  it('reads several comma-separated encryption keys, the first one first', () => {
    const a = Buffer.alloc(32, 1).toString('base64');
    const b = Buffer.alloc(32, 2).toString('base64');
    const result = parseConfig({ ...valid, TOKEN_ENCRYPTION_KEY: `${a}, ${b}` });
    expect(result.ok && result.config.tokenEncryptionKeys.map((k) => k[0])).toEqual([1, 2]);
  });

  it('reads the retention windows in days', () => {
    const result = parseConfig({ ...valid, RETENTION_DAYS: '7', AUDIT_RETENTION_DAYS: '730' });
    expect(result.ok && result.config.retention).toEqual({ days: 7, auditDays: 730 });
  });

  it('treats empty values as unset', () => {
    const result = parseConfig({ ...valid, IDENTITIES_API_TOKEN: '', PORT: '' });
    expect(result.ok && [result.config.identitiesApi.defaultToken, result.config.port]).toEqual([undefined, 3000]);
  });

  it('lists every secret so the logger can redact them', () => {
    const result = parseConfig({ ...valid, IDENTITIES_API_TOKEN: 'platform-token-xyz' });
    if (!result.ok) throw new Error('expected a valid config');
    expect(secretsOf(result.config)).toEqual(expect.arrayContaining(['signing-secret-123', 'xoxb-1-abc', 'platform-token-xyz', 'webhook-secret-0123456789']));
  });
});
