import { ApplicationFailure } from '@temporalio/activity';
import { mailTransport, type MailSettings } from './activities';

// The service's answer to one reply by email (what was recorded, or why nothing was). Sent by an
// activity so that an SMTP outage delays the answer instead of losing it.

export interface ReplyAnswer {
  to: string;
  subject: string;
  text: string;
  /** The reply's Message-ID, so the answer threads under it. */
  inReplyTo?: string | undefined;
}

export function createAnswerActivities(settings: MailSettings) {
  const transport = mailTransport(settings);
  return {
    async sendReplyAnswer(answer: ReplyAnswer): Promise<'sent'> {
      try {
        await transport.sendMail({
          from: settings.from,
          to: answer.to,
          subject: answer.subject,
          text: answer.text,
          // Marked automatic, so that no auto-responder answers back.
          headers: { 'Auto-Submitted': 'auto-replied', ...(answer.inReplyTo ? { 'In-Reply-To': answer.inReplyTo, References: answer.inReplyTo } : {}) },
        });
        return 'sent';
      } catch (error) {
        // The code only: an SMTP server's reply text often quotes the address.
        const code = (error as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number' && code >= 500) throw ApplicationFailure.nonRetryable(`SMTP refused the answer (${code})`, 'SmtpPermanent');
        throw ApplicationFailure.retryable(`SMTP transient failure (${typeof code === 'number' ? code : ((error as { code?: string }).code ?? 'no reply')})`, 'SmtpTransient');
      }
    },
  };
}

export type AnswerActivities = ReturnType<typeof createAnswerActivities>;
