import { createEmailActivities, type MailSettings } from './email/activities';
import { createAnswerActivities } from './email/answer';
import { createRecordsActivities } from './records/activities';
import { createPurgeActivities, type PurgeSettings } from './records/purge';
import type { RecordsStore } from '../records/open';

export interface ActivityDependencies {
  mail: MailSettings;
  /** The records store, opened on first use; without it record writes are dropped (previews). */
  records?: () => Promise<RecordsStore>;
  /** The retention purge's settings (the policy folder); the store is `records`. */
  purge?: PurgeSettings;
}

/** Everything that touches the world, built from real settings (the worker) or test ones. */
export function createActivities(deps: ActivityDependencies) {
  return { ...createEmailActivities(deps.mail), ...createAnswerActivities(deps.mail), ...createRecordsActivities(deps.records), ...createPurgeActivities(deps.records, deps.purge) };
}
