import { mailTransport, type MailSettings } from '../../activities/email/activities';
import type { Answer } from './handler';

/** Sends the service's answers to replies, marked as automatic so no auto-responder answers back. */
export function answerSender(mail: MailSettings): (answer: Answer) => Promise<void> {
  const transport = mailTransport(mail);
  return async (answer) => {
    await transport.sendMail({
      from: mail.from,
      to: answer.to,
      subject: answer.subject,
      text: answer.text,
      headers: { 'Auto-Submitted': 'auto-replied', ...(answer.inReplyTo ? { 'In-Reply-To': answer.inReplyTo, References: answer.inReplyTo } : {}) },
    });
  };
}
