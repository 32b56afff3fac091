import { normalizeIP } from '@fastify/rate-limit';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { inboundSmtpLimits, loadConfig } from '../../runtime/config';

// A sender flooding the inbound server must not load the worker and Temporal without bound. Every
// refusal is a 4xx, so an honest sender's server keeps the mail and retries later; nothing is lost.

export interface InboundSmtpLimits {
  /** Connections open at once, from everyone. */
  maxClients: number;
  /** Connections open at once from one address, so one sender cannot take every slot. */
  maxClientsPerAddress: number;
  /** Messages (MAIL FROM commands) in one connection. */
  messagesPerConnection: number;
  /** Messages from one address in a window. */
  messagesPerMinute: number;
  windowMs: number;
}

/** The configuration's defaults. */
export const defaultInboundSmtpLimits: InboundSmtpLimits = inboundSmtpLimits(loadConfig({}));

/** Addresses whose messages are counted at once; the least recently seen beyond this are forgotten. */
const rememberedAddresses = 10_000;

type Callback = (error?: Error | null) => void;
const refuse = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/** Each key's count in its current fixed window, for a bounded number of keys. */
export class WindowCounts {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one more for `key`: the count in this window, and the seconds until it ends. */
  add(key: string): { count: number; retryAfterSeconds: number } {
    const now = this.now();
    let window = this.windows.get(key);
    this.windows.delete(key); // re-inserted below: the map's order is least recently seen first
    if (!window || now >= window.start + this.windowMs) window = { start: now, count: 0 };
    window.count += 1;
    this.windows.set(key, window);
    while (this.windows.size > this.capacity) this.windows.delete(this.windows.keys().next().value!);
    return { count: window.count, retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)) };
  }
}

/** The smtp-server options and handlers that hold the server to `limits`. */
export function smtpLimits(limits: InboundSmtpLimits, now: () => number = Date.now) {
  const addressOf = (session: SMTPServerSession) => normalizeIP(session.remoteAddress);
  const open = new Map<string, number>();
  const counted = new WeakSet<SMTPServerSession>();
  const messagesIn = new WeakMap<SMTPServerSession, number>();
  const perAddress = new WindowCounts(limits.windowMs, rememberedAddresses, now);
  return {
    // Past this, smtp-server itself answers 421 and closes the connection.
    maxClients: limits.maxClients,
    onConnect(session: SMTPServerSession, callback: Callback) {
      const address = addressOf(session);
      const count = open.get(address) ?? 0;
      if (count >= limits.maxClientsPerAddress) return callback(refuse(421, '4.7.0 Too many connections from your address; try again in a moment.'));
      open.set(address, count + 1);
      counted.add(session);
      callback();
    },
    onClose(session: SMTPServerSession) {
      if (!counted.has(session)) return;
      counted.delete(session);
      const address = addressOf(session);
      const count = (open.get(address) ?? 1) - 1;
      if (count > 0) open.set(address, count);
      else open.delete(address);
    },
    onMailFrom(_address: SMTPServerAddress, session: SMTPServerSession, callback: Callback) {
      const inConnection = (messagesIn.get(session) ?? 0) + 1;
      messagesIn.set(session, inConnection);
      // A 421 closes the connection: the sender reconnects for the rest.
      if (inConnection > limits.messagesPerConnection) return callback(refuse(421, '4.7.0 Too many messages in one connection; connect again to send more.'));
      const { count, retryAfterSeconds } = perAddress.add(addressOf(session));
      if (count > limits.messagesPerMinute) return callback(refuse(451, `4.7.1 Too many messages from your address; try again in ${retryAfterSeconds} seconds.`));
      callback();
    },
  };
}
