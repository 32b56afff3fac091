import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../runtime/config';
import { localVerdict } from '../replies/local-verdict';
import { UsageError } from './errors';

const usage = `usage:
  dispute reply <reply.eml>                                  send a saved reply to the inbound mail server
  dispute reply --to <reply address> --from <email> --text <text>   compose one (first line RESOLVED or UNRESOLVED)`;

/** Tries a reply by hand: sends it over SMTP to the inbound server (INBOUND_SMTP_HOST:INBOUND_SMTP_PORT), as a mail system would. */
export async function replyCommand(args: string[], out: (text: string) => void): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { to: { type: 'string' }, from: { type: 'string' }, text: { type: 'string' } } });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${usage}`);
  }
  const config = loadConfig();
  const transport = nodemailer.createTransport({ host: config.INBOUND_SMTP_HOST, port: config.INBOUND_SMTP_PORT, secure: false, ignoreTLS: true });
  const { values, positionals } = parsed;
  try {
    if (positionals[0]) {
      let raw: Buffer;
      try {
        raw = readFileSync(positionals[0]);
      } catch {
        throw new UsageError(`cannot read ${positionals[0]}`);
      }
      const mail = await simpleParser(raw);
      const from = mail.from?.value[0]?.address;
      const to = [mail.to].flat().flatMap((field) => field?.value.map((value) => value.address ?? '') ?? []).filter(Boolean);
      if (!from || to.length === 0) throw new UsageError(`${positionals[0]}: a reply needs From and To headers`);
      await transport.sendMail({ envelope: { from, to }, raw: Buffer.concat([Buffer.from(`Authentication-Results: ${localVerdict(from)}\r\n`), raw]) });
      out(`sent ${positionals[0]} from ${from} to ${to.join(', ')}`);
      return;
    }
    if (!values.to || !values.from || !values.text) throw new UsageError(`--to, --from and --text are needed, or a file\n${usage}`);
    await transport.sendMail({ from: values.from, to: values.to, subject: 'Re: your decision is needed', text: values.text.replace(/\\n/g, '\n'), headers: { 'Authentication-Results': localVerdict(values.from) } });
    out(`sent from ${values.from} to ${values.to}; the answer comes back by email`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const response = (error as { response?: string }).response;
    throw new UsageError(response ? `the inbound mail server refused it: ${response}` : `cannot reach the inbound mail server at ${config.INBOUND_SMTP_HOST}:${config.INBOUND_SMTP_PORT}: is \`npm start\` running?`);
  }
}
