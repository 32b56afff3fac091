import net from 'node:net';
import nodemailer from 'nodemailer';
import type { MailSettings } from './activities';

/** How many SMTP connections one worker keeps to the relay, and so how many messages it has in hand at once. */
export const MAX_CONNECTIONS = 5;

/**
 * Handed to the worker beside the activities (a symbol key: the SDK registers only the functions):
 * the worker calls it when it stops, so the pool's connections do not outlive it.
 */
export const releaseMail = Symbol('release the mail transport');

/**
 * The worker's connections to the relay, opened on first use and reused by every email activity:
 * a new connection per message costs a greeting and a handshake (~150 ms to a local server).
 */
export function pooledMailTransport(settings: MailSettings) {
  return nodemailer.createTransport({
    ...relayOptions(settings),
    pool: true,
    maxConnections: MAX_CONNECTIONS,
    maxMessages: 100,
    getSocket: settings.secure ? undefined : connectWithoutDelay(settings),
  });
}

/** The relay, its credentials and how long each step may take: the same for a pooled transport and a one-off one. */
export function relayOptions(settings: MailSettings) {
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  };
}

/**
 * Opens a plain connection (STARTTLS, if any, follows on it) with Nagle's algorithm off: with it on,
 * the last small write of each message waits for the server's delayed ACK, ~40 ms a message on
 * Linux, measured (bench/escalation.ts). An implicit-TLS relay (secure) is left to nodemailer.
 */
function connectWithoutDelay(settings: Pick<MailSettings, 'host' | 'port'>) {
  return (_options: unknown, callback: (error: Error | null, socket: { connection: net.Socket } | false) => void): void => {
    const socket = net.connect({ host: settings.host, port: settings.port, noDelay: true });
    const timeout = setTimeout(() => socket.destroy(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })), 10_000);
    const failed = (error: Error) => {
      clearTimeout(timeout);
      callback(error, false);
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timeout);
      socket.removeListener('error', failed);
      callback(null, { connection: socket });
    });
  };
}

/** Runs `work` on each item in order, at most `bound` at once. `work` settles its own failures: it must not throw. */
export async function eachBounded<T>(items: T[], bound: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(bound, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
