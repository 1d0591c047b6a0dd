/**
 * The baseline: a bare Bolt 5 app that only does what the framework must — ack and
 * views.open for /identity; the same platform call then ack for the modal. Run as a
 * child process by bench/run.ts, beside our app, against the same fakes. Plain JavaScript
 * run by plain node, like our app's compiled build, so neither pays for a TypeScript loader.
 *
 * It opens the very modal our app opens (BARE_MODAL_FILE, written by bench/run.ts from our
 * pure view builder), passed to views.open as an object as a plain Bolt app would: both
 * apps then send Slack the same form, and the difference is what our app does around it.
 */
import { readFileSync } from 'node:fs';
import { App } from '@slack/bolt';
import { request } from 'undici';

const env = process.env;
const modal = JSON.parse(readFileSync(env.BARE_MODAL_FILE, 'utf8'));
const app = new App({
  signingSecret: env.SLACK_SIGNING_SECRET,
  authorize: async () => ({ botToken: env.SLACK_BOT_TOKEN }),
  clientOptions: { slackApiUrl: env.SLACK_API_URL, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  logLevel: 'error',
});

app.command('/identity', async ({ ack, body, client }) => {
  await ack();
  await client.views.open({
    trigger_id: body.trigger_id,
    view: modal,
  });
});

app.view('identity_create', async ({ ack, view }) => {
  const values = view.state.values;
  const res = await request(`${env.IDENTITIES_API_URL}/v1/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.IDENTITIES_API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      domain_id: values.domain?.domain?.selected_option?.value,
      local_part: values.local_part?.local_part?.value,
      display_name: values.display_name?.display_name?.value,
      approval_channel: { type: 'slack', team_id: 'T', channel_id: values.approval_channel?.approval_channel?.selected_conversation, channel_name: null },
    }),
  });
  await res.body.text();
  await ack({ response_action: 'update', view: { type: 'modal', title: { type: 'plain_text', text: 'Done' }, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'created' } }] } });
});

await app.start({ port: Number(env.PORT), host: '127.0.0.1' });
process.stdout.write('listening\n');
