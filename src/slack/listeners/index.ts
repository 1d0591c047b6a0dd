import type { App } from '@slack/bolt';
import type { ApprovalMetrics } from '../../approvals/ports.ts';
import type { Logger } from '../../logger.ts';
import type { Tenancy } from '../../tenancy.ts';
import { registerApprovalListeners } from '../approvals/listeners.ts';
import { registerChannelEvents } from '../channels/channel-events.ts';
import { registerIdentityCommand } from '../commands/identity-command.ts';
import { registerCreateIdentityOptions } from '../create-identity/options.ts';
import { registerCreateIdentitySubmission } from '../create-identity/submit.ts';
import type { SlackDeps } from '../deps.ts';
import { registerEditIdentityListeners } from '../edit-identity/listeners.ts';
import { registerInstallEvents } from '../workspace/install-events.ts';
import { registerWorkspaceListeners } from '../workspace/connect.ts';

/** Every listener of the app, registered in one place. */
export function registerListeners(app: App, deps: SlackDeps & { tenancy: Tenancy; logger: Logger; metrics: Pick<ApprovalMetrics, 'decided'> }): void {
  registerIdentityCommand(app, deps);
  registerCreateIdentityOptions(app, deps);
  registerCreateIdentitySubmission(app, deps);
  registerEditIdentityListeners(app, deps);
  registerApprovalListeners(app, { db: deps.db, logger: deps.logger, wake: deps.wake, metrics: deps.metrics });
  registerWorkspaceListeners(app, deps.workspace);
  registerChannelEvents(app, { db: deps.db, logger: deps.logger.child('channels'), wake: deps.wake });
  if (deps.tenancy.installations) registerInstallEvents(app, { installations: deps.tenancy.installations, logger: deps.logger });
}
