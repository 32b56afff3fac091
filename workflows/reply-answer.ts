import { proxyActivities } from '@temporalio/workflow';
import type { AnswerActivities, ReplyAnswer } from '../activities/email/answer';

// One answer to one reply by email, queued durably like every other email: the reply is recorded
// and taken (250) at once, and this keeps trying the SMTP relay until the answer goes out.

const { sendReplyAnswer } = proxyActivities<AnswerActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', nonRetryableErrorTypes: ['SmtpPermanent'] },
});

export async function replyAnswer(answer: ReplyAnswer): Promise<'sent'> {
  return await sendReplyAnswer(answer);
}
