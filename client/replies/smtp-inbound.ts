import { SMTPServer } from 'smtp-server';
import { plausibleToken, tokenFromAddress } from '../../runtime/decision-token';
import { handleReply, type ReplyDeps } from './handler';

// The inbound SMTP server a deployment routes reply mail to (an MX record or a forwarding rule for
// the reply domain). Addresses that are not ours, or whose token was tampered with, are refused at
// RCPT time; everything else goes to the reply handler.

export interface InboundSmtp {
  port: number;
  close(): Promise<void>;
}

export async function startInboundSmtp(deps: ReplyDeps, options: { host: string; port: number }): Promise<InboundSmtp> {
  const { addressing, maxBytes } = deps.settings;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Larger mail is taken (up to a point) so the handler can tell the sender it was too large.
    size: maxBytes * 4,
    onRcptTo(address, _session, callback) {
      const token = tokenFromAddress(addressing, address.address);
      if (!token) {
        return callback(Object.assign(new Error('5.1.1 This address takes no mail: it is not a reply address of the safeguarding disputes service.'), { responseCode: 550 }));
      }
      if (!plausibleToken(token)) {
        return callback(Object.assign(new Error('5.7.1 This reply address was altered or not issued by the safeguarding disputes service.'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        handleReply(deps, {
          raw,
          envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        }).then(
          () => callback(),
          // A failure of ours (Temporal unreachable): a transient refusal, so the sender's server retries.
          () => callback(Object.assign(new Error('4.3.0 The reply could not be processed now; it will be retried.'), { responseCode: 451 })),
        );
      });
    },
  });
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
