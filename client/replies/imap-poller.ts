import { ImapFlow } from 'imapflow';
import { DisputeFailure } from '../operations';
import { handleReply, type ReplyDeps } from './handler';
import { inboundSizeLimit } from './smtp-inbound';

// For deployments that read replies from a shared mailbox: polls its INBOX for unseen mail, hands
// each message to the reply handler, and marks it seen once handled. Each message on its own: one
// whose handling fails (Temporal down, say) is left unseen for the next pass while the others go on,
// and after a day of failing it is flagged for a person and passed over.

/** How long a reply whose handling keeps failing is tried again, pass after pass, before it is flagged and passed over. */
export const FAILING_REPLY_RETRY_MS = 24 * 3_600_000;

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
  const limit = inboundSizeLimit(deps.settings.maxBytes);
  /** When each message (by UID) whose handling failed first failed; forgotten once it is handled. */
  const failingSince = new Map<number, number>();

  /** Whether the message is done with: handled, or failing for too long (then flagged). False: leave it unseen. */
  async function handleOne(client: ImapFlow, uid: number, raw: Buffer): Promise<boolean> {
    try {
      await handleReply(deps, { raw, via: 'imap' });
      failingSince.delete(uid);
      return true;
    } catch (error) {
      // What failed, never the message or the error's text: either may quote an address.
      const what = error instanceof DisputeFailure ? error.kind : error instanceof Error ? error.name : 'error';
      const now = deps.now?.() ?? Date.now();
      const since = failingSince.get(uid) ?? now;
      failingSince.set(uid, since);
      if (now - since < FAILING_REPLY_RETRY_MS) {
        deps.log?.(`reply not handled (${what}): left unseen for the next pass`);
        return false;
      }
      failingSince.delete(uid);
      deps.log?.(`reply not handled (${what}) for ${FAILING_REPLY_RETRY_MS / 3_600_000} hours: flagged in the mailbox for a person, and passed over`);
      await client.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
      return true;
    }
  }

  async function pass(): Promise<number> {
    const client = new ImapFlow({ host: settings.host, port: settings.port, secure: settings.secure, auth: { user: settings.user, pass: settings.password }, logger: false });
    await client.connect();
    let handled = 0;
    try {
      const lock = await client.getMailboxLock(settings.mailbox ?? 'INBOX');
      try {
        // Sizes first, then one message at a time: a huge message in the mailbox is never read.
        const unseen: { uid: number; size: number }[] = [];
        for await (const message of client.fetch({ seen: false }, { uid: true, size: true })) unseen.push({ uid: message.uid, size: message.size ?? 0 });
        for (const { uid, size } of unseen) {
          if (size > limit) deps.log?.(`reply refused in the mailbox: larger than ${limit} bytes, not read`);
          else {
            const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
            if (message && message.source && !(await handleOne(client, uid, message.source))) continue;
          }
          await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
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
