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
  'conversations.history': 'channels:history groups:history',
  'conversations.replies': 'channels:history groups:history',
  'users.info': 'users:read',
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

  it.each(manifests)('$name subscribes to the events that revoke access', ({ manifest }) => {
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual(['app_uninstalled', 'tokens_revoked']);
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
