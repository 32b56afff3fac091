import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A real SMTP relay on a free port whose answer at RCPT a test chooses: accept (the default), refuse
 * with an error carrying its `responseCode`, or never answer. `delivered` hears each accepted message's recipients.
 */
export async function startRelay(options: {
  onRcptTo?: (address: SMTPServerAddress, callback: (error?: Error | null) => void) => void;
  delivered?: (to: string[]) => void;
}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo: (address, _session, callback) => (options.onRcptTo ? options.onRcptTo(address, callback) : callback()),
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        options.delivered?.(session.envelope.rcptTo.map((rcpt) => rcpt.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as { port: number }).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
