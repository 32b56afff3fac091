import { createEmailActivities, type MailSettings } from './email/activities';
import { createAnswerActivities } from './email/answer';

export interface ActivityDependencies {
  mail: MailSettings;
}

/** Everything that touches the world, built from real settings (the worker) or test ones. */
export function createActivities(deps: ActivityDependencies) {
  return { ...createEmailActivities(deps.mail), ...createAnswerActivities(deps.mail) };
}
