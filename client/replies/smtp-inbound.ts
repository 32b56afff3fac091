import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { checkReplyToken, plausibleReplyToken, tokenFromAddress } from '../../runtime/decision-token';
import { handleReply, type ReplyDeps } from './handler';
import { SenderCheckUnavailable } from './sender-auth';
import { defaultInboundSmtpLimits, smtpLimits, type InboundSmtpLimits } from './smtp-limits';

// The inbound SMTP server a deployment routes reply mail to (an MX record or a forwarding rule for
// the reply domain). Addresses that are not ours, or whose token was tampered with, are refused at
// RCPT time; mail over the advertised size is refused with 552 without being kept; everything else
// goes to the reply handler. Connections and messages are bounded (./smtp-limits.ts).

export interface InboundSmtp {
  port: number;
  close(): Promise<void>;
}

const refuse = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/** The largest message taken: larger replies are still read far enough to tell the sender (see the handler). */
export const inboundSizeLimit = (maxBytes: number) => maxBytes * 4;

export async function startInboundSmtp(deps: ReplyDeps, options: { host: string; port: number; limits?: InboundSmtpLimits }): Promise<InboundSmtp> {
  const { addressing, maxBytes } = deps.settings;
  const limit = inboundSizeLimit(maxBytes);
  const limits = smtpLimits(options.limits ?? defaultInboundSmtpLimits);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: limit,
    ...limits.options,
    onRcptTo(address, session, callback) {
      const token = tokenFromAddress(addressing, address.address);
      if (!token) return callback(refuse(550, '5.1.1 This address takes no mail: it is not a reply address of the safeguarding disputes service.'));
      if (!plausibleReplyToken(token)) return callback(refuse(550, '5.7.1 This reply address was altered or not issued by the safeguarding disputes service.'));
      const envelopeFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
      const fromAddressee = envelopeFrom !== '' && checkReplyToken(deps.settings.secret, token, envelopeFrom, Date.now()).ok;
      callback(limits.countRecipient(session, fromAddressee ? { token } : null));
    },
    onData: limits.reading((stream, session, callback) => {
      readCapped(stream, limit).then((raw) => {
        if (!raw) {
          deps.log?.(`reply refused at DATA: larger than ${limit} bytes`);
          return callback(refuse(552, `5.3.4 Message too large: replies are limited to ${limit} bytes.`));
        }
        handleReply(deps, {
          raw,
          via: 'smtp',
          envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          clientIp: session.remoteAddress,
          helo: session.hostNameAppearsAs,
        }).then(
          () => callback(),
          // Nothing was recorded (Temporal or DNS unreachable): a transient refusal, so the sender's server retries.
          (error: unknown) => {
            deps.log?.(`reply deferred: ${error instanceof SenderCheckUnavailable ? 'DNS unavailable' : 'could not be recorded now'}`);
            callback(refuse(451, '4.3.0 The reply could not be processed now; it will be retried.'));
          },
        );
      }, callback);
    }),
  });
  limits.watch(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The whole message if it is at most `limit` bytes; otherwise null, having read (and dropped) the
 * rest, so an oversized message never sits in memory and the SMTP dialogue can go on to the 552.
 */
export function readCapped(stream: Readable, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] | null = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (!chunks) return;
      if (size > limit) chunks = null;
      else chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve(chunks ? Buffer.concat(chunks) : null));
  });
}
