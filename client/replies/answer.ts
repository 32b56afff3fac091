import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ReplyAnswer } from '../../activities/email/answer';
import type { Disputes } from '../operations';

/**
 * Queues the answer to one reply as its own small workflow (`replyAnswer`), whose ID comes from the
 * reply: the same reply handled twice (a retried SMTP transaction, an IMAP message read again) is
 * answered once, and an SMTP outage only delays the answer.
 */
export function answerQueue(disputes: Pick<Disputes, 'client' | 'taskQueue'>): (answer: ReplyAnswer, replyKey: string) => Promise<void> {
  return async (answer, replyKey) => {
    try {
      await disputes.client.workflow.start('replyAnswer', {
        taskQueue: disputes.taskQueue,
        workflowId: `reply-answer-${replyKey}`,
        args: [answer],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      // Answered already, by an earlier delivery of the same reply.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };
}
