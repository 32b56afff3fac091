import { normalizeIP } from '@fastify/rate-limit';
import type { SMTPServer, SMTPServerAddress, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { inboundSmtpLimits, loadConfig } from '../../runtime/config';

// A sender flooding the inbound server must not load the worker and Temporal without bound. Every
// refusal is a 4xx, so an honest sender's server keeps the mail and retries later; nothing is lost.

export interface InboundSmtpLimits {
  /** Connections open at once, from everyone: past it a newcomer takes the slot of the idlest (see `ConnectionClocks.idlest`). */
  maxClients: number;
  /** Connections open at once from one address, so one sender cannot take every slot. */
  maxClientsPerAddress: number;
  /** Connections begun in a window from one address, so one who reconnects in a loop cannot close every idle connection in turn. */
  connectionsPerMinute: number;
  /** Messages (MAIL FROM commands) in one connection. */
  messagesPerConnection: number;
  /** Messages in a window to one reply address from its addressee, or else from one IP address. */
  messagesPerMinute: number;
  windowMs: number;
  /** How long a connection may go without beginning a message: since it connected, or since its last message. */
  idleMs: number;
  /** How long any connection may stay open. */
  lifetimeMs: number;
}

/** The configuration's defaults. */
export const defaultInboundSmtpLimits: InboundSmtpLimits = inboundSmtpLimits(loadConfig({}));

/** Addresses and reply addresses whose messages are counted at once; the least recently seen beyond this are forgotten. */
const rememberedKeys = 10_000;

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

/**
 * The smtp-server options and handlers that hold the server to `limits`; `watch` gives them the
 * server, so a connection past its idle bound or lifetime can be told 421 and closed.
 */
export function smtpLimits(limits: InboundSmtpLimits, now: () => number = Date.now) {
  const addressOf = (session: SMTPServerSession) => normalizeIP(session.remoteAddress);
  const open = new Map<string, number>();
  const messagesIn = new WeakMap<SMTPServerSession, number>();
  const perKey = new WindowCounts(limits.windowMs, rememberedKeys, now);
  const connects = new WindowCounts(limits.windowMs, rememberedKeys, now);
  const clocks = new ConnectionClocks(limits);
  const release = (session: SMTPServerSession) => {
    // Only a connection onConnect took holds a clock and a place in its address's count, once.
    if (!clocks.stop(session)) return;
    const address = addressOf(session);
    const count = (open.get(address) ?? 1) - 1;
    if (count > 0) open.set(address, count);
    else open.delete(address);
  };
  clocks.onEnd = release;
  return {
    watch: (server: SMTPServer) => clocks.watch(server),
    /** `onData` with its message's reading and recording kept out of the idle bound. */
    reading: (onData: NonNullable<SMTPServerOptions['onData']>): SMTPServerOptions['onData'] => (stream, session, callback) => {
      clocks.pause(session);
      onData(stream, session, (...result) => {
        clocks.resume(session);
        callback(...result);
      });
    },
    options: {
      // smtp-server refuses past its own bound before onConnect could make room, so the bound on
      // connections is kept below; this one only bounds newcomers not yet through onConnect (the
      // early-talker pause and reverse lookup), which past it smtp-server answers 421 and closes.
      maxClients: limits.maxClients * 2,
      onConnect(session: SMTPServerSession, callback: Callback) {
        const address = addressOf(session);
        // Every attempt counts, refused or not: a loop of them is what this slows.
        const attempts = connects.add(address);
        if (attempts.count > limits.connectionsPerMinute) return callback(refuse(421, `4.7.0 Too many connections from your address in a minute; try again in ${attempts.retryAfterSeconds} seconds.`));
        const count = open.get(address) ?? 0;
        if (count >= limits.maxClientsPerAddress) return callback(refuse(421, '4.7.0 Too many connections from your address; try again in a moment.'));
        // Refusing the newcomer when full let an attacker who reconnects at once keep every slot:
        // an honest server arriving at a random moment found none free. It is taken instead.
        if (clocks.running() >= limits.maxClients) {
          const idlest = clocks.idlest();
          if (!idlest) return callback(refuse(421, '4.4.5 Too many connected clients, each in the middle of a message; try again in a moment.'));
          clocks.end(idlest, '4.4.5 Too many connected clients: this one, longest without beginning a message, is closed to make room; connect again to send one.');
        }
        open.set(address, count + 1);
        clocks.start(session);
        callback();
      },
      onClose: release,
      onMailFrom(_address: SMTPServerAddress, session: SMTPServerSession, callback: Callback) {
        const inConnection = (messagesIn.get(session) ?? 0) + 1;
        messagesIn.set(session, inConnection);
        // A 421 closes the connection: the sender reconnects for the rest.
        if (inConnection > limits.messagesPerConnection) return callback(refuse(421, '4.7.0 Too many messages in one connection; connect again to send more.'));
        clocks.resume(session);
        callback();
      },
    },
    /**
     * Counts a message to a reply address: by that address (its token) when the envelope sender is
     * the person it was issued to, otherwise by the sender's IP address, which everyone behind a
     * forwarding relay shares. The refusal when over the bound.
     */
    countRecipient(session: SMTPServerSession, fromAddressee: { token: string } | null): Error | null {
      const { count, retryAfterSeconds } = perKey.add(fromAddressee ? `token:${fromAddressee.token}` : `address:${addressOf(session)}`);
      if (count <= limits.messagesPerMinute) return null;
      return refuse(451, `4.7.1 Too many messages ${fromAddressee ? 'to this reply address' : 'from your address'}; try again in ${retryAfterSeconds} seconds.`);
    },
  };
}

// AUTH is off (mail servers do not log in to deliver), so smtp-server's bound on commands before
// logging in never applies, and any command resets its idle timer: without these clocks a few
// addresses sending NOOPs could hold every slot for as long as they liked.
class ConnectionClocks {
  private server: SMTPServer | undefined;
  /**
   * `since`: when the connection connected, or last began or ended a message, as a count of such
   * moments rather than a time, which two of them within a millisecond would share.
   */
  private readonly clocks = new WeakMap<SMTPServerSession, { idle: NodeJS.Timeout; lifetime: NodeJS.Timeout; reading: boolean; since: number }>();
  private moments = 0;
  onEnd: (session: SMTPServerSession) => void = () => undefined;

  constructor(private readonly limits: Pick<InboundSmtpLimits, 'idleMs' | 'lifetimeMs'>) {}

  watch(server: SMTPServer) {
    this.server = server;
  }

  start(session: SMTPServerSession) {
    const idle = setTimeout(() => {
      // A message being read or recorded is not idle; its connection's lifetime still bounds it.
      if (this.clocks.get(session)?.reading) idle.refresh();
      else this.end(session, `4.4.2 No message begun in ${seconds(this.limits.idleMs)}; connect again to send one.`);
    }, this.limits.idleMs).unref();
    const lifetime = setTimeout(() => this.end(session, `4.4.2 Connection open ${seconds(this.limits.lifetimeMs)}, the longest allowed; connect again to go on.`), this.limits.lifetimeMs).unref();
    this.clocks.set(session, { idle, lifetime, reading: false, since: (this.moments += 1) });
  }

  /** A message is being read or recorded. */
  pause(session: SMTPServerSession) {
    const clock = this.clocks.get(session);
    if (clock) clock.reading = true;
  }

  /** A message was begun or has ended: the idle bound counts afresh. */
  resume(session: SMTPServerSession) {
    const clock = this.clocks.get(session);
    if (!clock) return;
    clock.reading = false;
    clock.since = this.moments += 1;
    clock.idle.refresh();
  }

  /** Whether the connection had a clock (it was started and not yet stopped). */
  stop(session: SMTPServerSession): boolean {
    const clock = this.clocks.get(session);
    if (!clock) return false;
    clearTimeout(clock.idle);
    clearTimeout(clock.lifetime);
    this.clocks.delete(session);
    return true;
  }

  /** Connections started and not yet closing; one the client has quit is not counted while its socket winds down. */
  running(): number {
    let running = 0;
    for (const { session } of this.server?.connections ?? []) if (this.clocks.has(session)) running += 1;
    return running;
  }

  /**
   * The connection to close to make room: of those not in a message, the one that has gone longest
   * without beginning one. By the idle bound's measure, so commands that begin none (NOOP, RSET)
   * do not spare it; a message begun (MAIL FROM accepted) or being read or recorded is never cut off.
   */
  idlest(): SMTPServerSession | undefined {
    let idlest: { session: SMTPServerSession; since: number } | undefined;
    for (const { session } of this.server?.connections ?? []) {
      const clock = this.clocks.get(session);
      if (!clock || clock.reading || session.envelope.mailFrom) continue;
      if (!idlest || clock.since < idlest.since) idlest = { session, since: clock.since };
    }
    return idlest?.session;
  }

  /** Tells the connection 421 `text` and closes it. */
  end(session: SMTPServerSession, text: string) {
    for (const connection of this.server?.connections ?? []) {
      if (connection.session !== session) continue;
      connection.send(421, text);
      connection.close();
    }
    // Its slot is free now, not when the client gets round to closing its side.
    this.onEnd(session);
  }
}

const seconds = (ms: number) => `${ms / 1000} s`;
