import { startMailCatcher, type CaughtMail } from '../../runtime/mail-catcher';

export type { CaughtMail };

export interface SmtpSink {
  port: number;
  messages: CaughtMail[];
  /** Recipients answered with a permanent 550 at RCPT time. */
  rejectRecipients: Set<string>;
  /** While true, every message is answered with a transient 451. */
  failing: boolean;
  close(): Promise<void>;
}

/** Mail settings that send into this sink. */
export function testMailSettings(sink: Pick<SmtpSink, 'port'>) {
  return { host: '127.0.0.1', port: sink.port, secure: false, from: 'Disputes <disputes@test.example.org>', messageIdDomain: 'test.example.org' };
}

/** The product's mail catcher, with switches a test flips to make delivery fail. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const switches = { rejectRecipients: new Set<string>(), failing: false };
  const catcher = await startMailCatcher({
    refuses: (address) => switches.rejectRecipients.has(address),
    defers: () => switches.failing,
  });
  return Object.assign(switches, { port: catcher.port, messages: catcher.messages, close: catcher.close });
}
