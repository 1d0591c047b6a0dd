import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../src/slack/bolt-app.ts';

const root = new URL('../../', import.meta.url).pathname;
const schemaDir = join(root, '../shared/slack-manifest-schema');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

/** Bot scope each Web API method this app calls needs (Slack's method reference pages). */
const SCOPE_OF_METHOD: Record<string, string | null> = {
  'views.open': null,
  'views.update': null,
  'views.push': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'conversations.info': 'channels:read groups:read',
  'conversations.join': 'channels:join',
  'conversations.open': 'im:write',
  'conversations.history': 'channels:history groups:history',
  'conversations.replies': 'channels:history groups:history',
  'users.info': 'users:read',
};

/** Each event the app subscribes to, and the bot scopes Slack sends it for (Slack's event reference pages). */
const SCOPES_OF_EVENT: Record<string, string[]> = {
  app_uninstalled: [],
  tokens_revoked: [],
  channel_rename: ['channels:read'],
  channel_archive: ['channels:read'],
  channel_unarchive: ['channels:read'],
  channel_deleted: ['channels:read'],
  channel_left: ['channels:read'],
  group_rename: ['groups:read'],
  group_archive: ['groups:read'],
  group_unarchive: ['groups:read'],
  group_deleted: ['groups:read'],
  group_left: ['groups:read'],
  member_joined_channel: ['channels:read', 'groups:read'],
  member_left_channel: ['channels:read', 'groups:read'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function scopesTheCodeUses(): string[] {
  const methods = new Set<string>();
  for (const file of sourceFiles(join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/client\.(views|chat|conversations|users)\.(\w+)\(/g)) methods.add(`${m[1]}.${m[2]}`);
  }
  const scopes = new Set<string>(['commands']);
  for (const method of methods) {
    if (!(method in SCOPE_OF_METHOD)) throw new Error(`add ${method} and its scope to SCOPE_OF_METHOD`);
    for (const scope of SCOPE_OF_METHOD[method]?.split(' ') ?? []) scopes.add(scope);
  }
  return [...scopes].sort();
}

const manifests = ['http.json', 'socket-mode.json'].map((name) => ({ name, manifest: readJson(join(root, 'manifests', name)) }));

describe('Slack app manifests', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(readJson(join(schemaDir, 'manifest.schema.1.0.0.json')));

  it.each(manifests)('$name is valid against Slack’s manifest schema', ({ manifest }) => {
    const ok = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(manifests)('$name asks for exactly the bot scopes the code uses', ({ manifest }) => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(scopesTheCodeUses());
  });

  it('the OAuth installer asks for the manifest’s scopes', () => {
    expect([...BOT_SCOPES].sort()).toEqual(scopesTheCodeUses());
  });

  it.each(manifests)('$name subscribes to the events the app listens to, with the scopes they need', ({ manifest }) => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(Object.keys(SCOPES_OF_EVENT).sort());
    for (const scopes of Object.values(SCOPES_OF_EVENT)) for (const scope of scopes) expect(manifest.oauth_config.scopes.bot).toContain(scope);
  });

  it('the code has a listener for every event the manifests subscribe to', () => {
    const code = sourceFiles(join(root, 'src/slack')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const missing = Object.keys(SCOPES_OF_EVENT).filter((event) => !code.includes(`'${event}'`));
    expect(missing).toEqual([]);
  });

  it.each(manifests)('$name lets people read the app’s direct messages', ({ manifest }) => {
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true);
  });

  it.each(manifests)('$name declares /identity', ({ manifest }) => {
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(['/identity']);
  });

  it('the HTTP manifest sends commands, interactivity and options to /slack/events', () => {
    const { manifest } = manifests[0]!;
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.features.slash_commands[0].url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.message_menu_options_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.oauth_config.redirect_urls).toEqual([expect.stringMatching(/\/slack\/oauth_redirect$/)]);
  });

  it('the Socket Mode manifest has no request URLs', () => {
    const { manifest } = manifests[1]!;
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(manifest)).not.toMatch(/https?:\/\//);
  });

  it('rejects a manifest Slack would refuse (the schema check can fail)', () => {
    const broken = structuredClone(manifests[0]!.manifest);
    broken.display_information.name = 'x'.repeat(36);
    expect(validate(broken)).toBe(false);
  });
});
