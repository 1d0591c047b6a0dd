import { z } from 'zod';
import { readBody, sendJson, type Route } from './routes.ts';
import type { Logger } from '../logger.ts';
import { ApprovalEvent } from '../platform/schemas.ts';
import { storableParsedJson } from '../db/text.ts';
import type { IntakeOutcome } from '../approvals/intake.ts';
import { SIGNATURE_HEADER, verifySignature } from '../approvals/webhook-signature.ts';
import type { EventOutcome } from '../metrics/ports.ts';

export const WEBHOOK_PATH = '/webhooks/approvals';
/** A draft with a long thread fits easily; anything larger is not an approval event. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface WebhookRouteDeps {
  secret: string;
  logger: Logger;
  now?: () => number;
  receive: (event: ApprovalEvent) => Promise<IntakeOutcome>;
  /** Counts each delivery by its event type (`unknown` before the body is read as an event) and how it ended. */
  onEvent: (type: string, outcome: EventOutcome) => void;
}

/** POST /webhooks/approvals: signature, then shape, then durable intake; 202 only after commit. */
export function approvalWebhookRoute(deps: WebhookRouteDeps): Route {
  const now = deps.now ?? Date.now;
  return {
    method: 'POST',
    path: WEBHOOK_PATH,
    async handle(req, res) {
      const refused = (status: number, body: unknown) => {
        deps.onEvent('unknown', 'invalid');
        sendJson(res, status, body);
      };
      const read = await readBody(req, MAX_BODY_BYTES);
      if (!read.ok) return refused(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });

      const header = req.headers[SIGNATURE_HEADER];
      const check = verifySignature({
        header: Array.isArray(header) ? header[0] : header,
        rawBody: read.body,
        secret: deps.secret,
        nowSeconds: Math.floor(now() / 1000),
      });
      if (!check.ok) {
        deps.logger.warn(`approval webhook refused: signature ${check.reason}`);
        return refused(401, { error: `signature ${check.reason}` });
      }

      const text = read.body.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return refused(400, { error: 'body is not JSON' });
      }
      const parsed = ApprovalEvent.safeParse(json);
      if (!parsed.success) {
        return refused(400, { error: 'body is not a valid approval event', issues: z.treeifyError(parsed.error) });
      }

      const type = parsed.data.type;
      let outcome: IntakeOutcome;
      try {
        outcome = await deps.receive(storableParsedJson(parsed.data, text));
      } catch (e) {
        // Stored or not, a redelivery is safe (the event id makes it a no-op): ask for one.
        deps.logger.error(`approval event ${parsed.data.id} could not be stored`, e);
        deps.onEvent(type, 'error');
        return sendJson(res, 503, { error: 'could not store the event; deliver it again later' });
      }
      switch (outcome.kind) {
        case 'stored':
          deps.onEvent(type, outcome.duplicate ? 'duplicate' : 'stored');
          return sendJson(res, 202, { status: outcome.duplicate ? 'duplicate' : 'stored' });
        case 'invalid':
          deps.onEvent(type, 'invalid');
          return sendJson(res, 400, { error: outcome.reason });
        case 'unknown_identity':
          deps.onEvent(type, 'unknown_identity');
          return sendJson(res, 404, { error: outcome.reason });
      }
    },
  };
}
