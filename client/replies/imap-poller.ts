import { ImapFlow } from 'imapflow';
import { handleReply, type ReplyDeps } from './handler';

// For deployments that read replies from a shared mailbox: polls its INBOX for unseen mail, hands
// each message to the reply handler, and marks it seen once handled.

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox?: string;
  everyMs?: number;
}

export interface ImapPoller {
  /** One pass over the unseen mail; resolves with how many messages were handled. */
  pollOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startImapPoller(deps: ReplyDeps, settings: ImapSettings): ImapPoller {
  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);

  async function pass(): Promise<number> {
    const client = new ImapFlow({ host: settings.host, port: settings.port, secure: settings.secure, auth: { user: settings.user, pass: settings.password }, logger: false });
    await client.connect();
    let handled = 0;
    try {
      const lock = await client.getMailboxLock(settings.mailbox ?? 'INBOX');
      try {
        const unseen: { uid: number; source: Buffer }[] = [];
        for await (const message of client.fetch({ seen: false }, { uid: true, source: true })) {
          if (message.source) unseen.push({ uid: message.uid, source: message.source });
        }
        for (const message of unseen) {
          await handleReply(deps, { raw: message.source, via: 'imap' });
          await client.messageFlagsAdd(String(message.uid), ['\\Seen'], { uid: true });
          handled += 1;
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => undefined);
    }
    return handled;
  }

  const pollOnce = () => (running = running.then(pass, pass));
  const timer = setInterval(() => {
    if (!stopped) pollOnce().catch((error: unknown) => deps.log?.(`imap poll failed: ${error instanceof Error ? error.message : error}`));
  }, settings.everyMs ?? 30_000);

  return {
    pollOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
