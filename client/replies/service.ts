import { imapSettings, mailSettings, replySettings, type Config } from '../../runtime/config';
import type { Disputes } from '../operations';
import { answerSender } from './answer';
import type { ReplyDeps } from './handler';
import { startImapPoller, type ImapPoller } from './imap-poller';
import { startInboundSmtp, type InboundSmtp } from './smtp-inbound';

/** The inbound mail side: the SMTP server replies are routed to, and the IMAP poller where a mailbox is configured. */
export async function startReplyServices(config: Config, disputes: Disputes, secret: string, log: (line: string) => void) {
  const settings = replySettings(config, secret)!;
  const deps: ReplyDeps = { disputes, settings, answer: answerSender(mailSettings(config, secret)), log };
  const smtp: InboundSmtp = await startInboundSmtp(deps, { host: config.INBOUND_SMTP_HOST, port: config.INBOUND_SMTP_PORT });
  const imap = imapSettings(config);
  const poller: ImapPoller | null = imap ? startImapPoller(deps, imap) : null;
  return {
    describe: () =>
      `SMTP on ${config.INBOUND_SMTP_HOST}:${smtp.port} for ${config.REPLY_LOCAL_PART}+…@${config.REPLY_DOMAIN}${imap ? `; IMAP ${imap.user}@${imap.host} every ${config.IMAP_POLL_SECONDS} s` : ''}`,
    async stop() {
      await poller?.stop();
      await smtp.close();
    },
  };
}
