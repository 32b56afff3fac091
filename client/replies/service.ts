import { imapSettings, inboundSmtpLimits, replySettings, type Config } from '../../runtime/config';
import type { Disputes } from '../operations';
import { answerQueue } from './answer';
import type { ReplyDeps } from './handler';
import { startImapPoller, type ImapPoller } from './imap-poller';
import { LOCAL_AUTHSERV_ID } from './local-verdict';
import { startInboundSmtp, type InboundSmtp } from './smtp-inbound';

/** The inbound mail side: the SMTP server replies are routed to, and the IMAP poller where a mailbox is configured. */
export async function startReplyServices(config: Config, disputes: Disputes, secret: string, log: (line: string) => void, options: { local?: boolean } = {}) {
  const settings = replySettings(config, secret)!;
  // npm start: `dispute reply` on this machine stands in for the council's mail server.
  if (options.local && settings.auth.trustedAuthservIds.length === 0) {
    settings.auth = { trustedAuthservIds: [LOCAL_AUTHSERV_ID], trustedRelays: ['127.0.0.1', '::1'] };
  }
  const deps: ReplyDeps = { disputes, settings, answer: answerQueue(disputes), log };
  const smtp: InboundSmtp = await startInboundSmtp(deps, { host: config.INBOUND_SMTP_HOST, port: config.INBOUND_SMTP_PORT, limits: inboundSmtpLimits(config) });
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
