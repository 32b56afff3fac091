import { connect, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerQueue } from '../client/replies/answer';
import type { ReplyDeps } from '../client/replies/handler';
import { startInboundSmtp, type InboundSmtp } from '../client/replies/smtp-inbound';
import { WindowCounts, type InboundSmtpLimits } from '../client/replies/smtp-limits';
import { expiryDay, replyAddress, signDecisionToken } from '../runtime/decision-token';
import { realClockContext } from './support/disputes';
import { eventually } from './support/eventually';
import { freePort } from './support/processes';

// Nothing bounded the inbound SMTP server: one sender could hold any number of connections and
// send any number of messages, each reaching the worker and Temporal. Over real SMTP, each bound
// answers a 4xx (so an honest sender's server retries) to what is over it. None of these
// dialogues gets as far as a message, so Temporal is never reached.

let connection: Connection;
let deps: ReplyDeps;
const servers: InboundSmtp[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  connection = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const disputes = { client: new Client({ connection }), taskQueue: 'nowhere', context: realClockContext };
  deps = { disputes, settings: { secret: 'a secret for the smtp limits test', addressing: { localPart: 'reply', domain: 'replies.example.org' }, maxBytes: 64 * 1024, auth: { trustedAuthservIds: [], trustedRelays: [] } }, answer: answerQueue(disputes) };
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await server.close();
  await connection?.close();
});

async function serve(limits: Partial<InboundSmtpLimits>): Promise<number> {
  const server = await startInboundSmtp(deps, { host: '127.0.0.1', port: 0, limits: { maxClients: 10, maxClientsPerAddress: 10, connectionsPerMinute: 100, messagesPerConnection: 10, messagesPerMinute: 10, windowMs: 60_000, idleMs: 60_000, lifetimeMs: 60_000, ...limits } });
  servers.push(server);
  return server.port;
}

/** One SMTP dialogue: the server's first line, then each command's reply (its last line). */
async function dial(port: number, from = '127.0.0.1') {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  let buffered = '';
  let closed = false;
  const waiting: ((line: string) => void)[] = [];
  const deliver = () => {
    for (let end = buffered.indexOf('\r\n'); end >= 0 && waiting.length; end = buffered.indexOf('\r\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (/^\d{3} /.test(line)) waiting.shift()!(line);
    }
    if (closed) while (waiting.length) waiting.shift()!('(closed)');
  };
  socket.on('data', (chunk) => {
    buffered += chunk.toString('latin1');
    deliver();
  });
  socket.on('close', () => {
    closed = true;
    deliver();
  });
  socket.on('error', () => undefined);
  const reply = () => new Promise<string>((resolve) => (waiting.push(resolve), deliver()));
  const greeting = await reply();
  return {
    greeting,
    say: (command: string) => (socket.write(`${command}\r\n`), reply()),
    /** The next reply, unasked: what the server said when it closed the connection. */
    heard: reply,
    write: (text: string) => socket.write(text),
    closed: () => new Promise<void>((resolve) => (closed ? resolve() : socket.once('close', () => resolve()))),
    quit: () => socket.destroy(),
  };
}

/** A dialogue past its greeting and HELO. */
async function greeted(port: number, host = 'sender.example.org') {
  const session = await dial(port);
  expect(await session.say(`HELO ${host}`)).toMatch(/^250 /);
  return session;
}

/** A reply address issued to `recipient`. */
const replyTo = (recipient: string) =>
  replyAddress(deps.settings.addressing, signDecisionToken(deps.settings.secret, { disputeId: 'dispute-smtp-limits', stage: 1, recipient, expiresDay: expiryDay(Date.now(), 30) }));

/**
 * MAIL FROM and RCPT TO, then RSET: one message begun and dropped, as a flood of messages counts.
 * The first answer that is not 250.
 */
async function message(session: Awaited<ReturnType<typeof dial>>, from = 'someone@example.org', to = replyTo('manager@example.org')) {
  const mail = await session.say(`MAIL FROM:<${from}>`);
  if (!mail.startsWith('250')) return mail;
  const rcpt = await session.say(`RCPT TO:<${to}>`);
  await session.say('RSET');
  return rcpt.startsWith('250') ? '250 begun' : rcpt;
}

describe('inbound SMTP bounds', () => {
  it('a connection over one address’s share gets 421 and is closed; a slot freed is taken again', async () => {
    const port = await serve({ maxClientsPerAddress: 2 });
    const first = await dial(port);
    const second = await dial(port);
    expect([first.greeting, second.greeting].map((line) => line.slice(0, 4))).toEqual(['220 ', '220 ']);
    const third = await dial(port);
    expect(third.greeting).toBe('421 4.7.0 Too many connections from your address; try again in a moment.');
    await third.closed();
    first.quit();
    // The server learns of the close a moment later.
    expect(await eventually(async () => (await dial(port)).greeting, (greeting) => greeting.startsWith('220 '), 5_000)).toMatch(/^220 /);
  });

  // With room made for every newcomer, one address reconnecting in a loop could close every idle
  // connection in turn, an honest server's among them before it began its message.
  it('an address over its connections a minute gets 421 and is closed until the window ends; another address is not', async () => {
    const port = await serve({ connectionsPerMinute: 3 });
    for (let n = 0; n < 3; n += 1) {
      const session = await dial(port);
      expect(session.greeting).toMatch(/^220 /);
      session.quit();
    }
    const fourth = await dial(port);
    expect(fourth.greeting).toMatch(/^421 4\.7\.0 Too many connections from your address in a minute; try again in \d+ seconds\.$/);
    await fourth.closed();
    expect((await dial(port)).greeting).toMatch(/^421 4\.7\.0 /);
    const other = await dial(port, '127.0.0.2');
    expect(other.greeting).toMatch(/^220 /);
    expect(await other.say('HELO other.example.org')).toMatch(/^250 /);
  });

  it('a connection over its bound of messages gets 421 and is closed; a new connection goes on', async () => {
    const port = await serve({ messagesPerConnection: 3 });
    const session = await greeted(port);
    for (let n = 0; n < 3; n += 1) expect(await message(session)).toMatch(/^250 /);
    expect(await message(session)).toBe('421 4.7.0 Too many messages in one connection; connect again to send more.');
    await session.closed();
    const again = await greeted(port);
    expect(await message(again)).toMatch(/^250 /);
  });

  it('an address over its messages a minute gets 451 on every connection until the window ends', async () => {
    const port = await serve({ messagesPerMinute: 3 });
    const session = await greeted(port);
    for (let n = 0; n < 3; n += 1) expect(await message(session)).toBe('250 begun');
    expect(await message(session)).toMatch(/^451 4\.7\.1 Too many messages from your address; try again in \d+ seconds\.$/);
    const other = await greeted(port);
    expect(await message(other)).toMatch(/^451 /);
  });

  // Behind a forwarding relay every message comes from the relay's address: one sender flooding
  // it had every reply deferred 451. A reply from the person its address was issued to is counted
  // by that address alone, which only its addressee (or someone who knows both it and them) fills.
  it('a reply from the person its address was issued to is counted by that reply address, not with the flood from the same relay', async () => {
    const port = await serve({ messagesPerMinute: 3 });
    const flood = await greeted(port, 'relay.example.org');
    for (let n = 0; n < 3; n += 1) expect(await message(flood, 'flood@example.net')).toBe('250 begun');
    expect(await message(flood, 'flood@example.net')).toMatch(/^451 4\.7\.1 Too many messages from your address; try again in \d+ seconds\.$/);
    const relayed = await greeted(port, 'relay.example.org');
    const manager = replyTo('manager@example.org');
    for (let n = 0; n < 3; n += 1) expect(await message(relayed, 'Manager@Example.org', manager)).toBe('250 begun');
    expect(await message(relayed, 'manager@example.org', manager)).toMatch(/^451 4\.7\.1 Too many messages to this reply address; try again in \d+ seconds\.$/);
    expect(await message(relayed, 'officer@example.org', replyTo('officer@example.org'))).toBe('250 begun');
  });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `commands` in turn, `everyMs` apart, until one is not answered 2xx: every answer. */
async function keepSaying(session: Awaited<ReturnType<typeof dial>>, commands: string[], everyMs: number, forMs: number) {
  const answers: string[] = [];
  const started = Date.now();
  for (let n = 0; Date.now() - started < forMs; n += 1) {
    answers.push(await session.say(commands[n % commands.length]!));
    if (!/^2\d\d /.test(answers.at(-1)!)) break;
    await pause(everyMs);
  }
  return { answers, afterMs: Date.now() - started };
}

describe('connections held open', () => {
  // AUTH is off, so smtp-server's bound on commands before logging in never applies, and every
  // command resets its idle timer: a few addresses sending NOOPs held every slot for as long as
  // they liked.
  it('connections that only NOOP, RSET, HELP and EHLO are closed with 421 past the idle bound', async () => {
    const port = await serve({ idleMs: 800 });
    const holders = [await dial(port), await dial(port)];
    for (const holder of holders) expect(await holder.say('EHLO holder.example.org')).toMatch(/^250 /);
    const held = await Promise.all(holders.map((holder) => keepSaying(holder, ['NOOP', 'RSET', 'HELP', 'EHLO holder.example.org'], 100, 5_000)));
    for (const { answers, afterMs } of held) {
      expect(answers.length).toBeGreaterThan(3);
      expect(answers.at(-1)).toBe('421 4.4.2 No message begun in 0.8 s; connect again to send one.');
      expect(afterMs).toBeGreaterThanOrEqual(700);
    }
    await Promise.all(holders.map((holder) => holder.closed()));
  });

  it('a message read for longer than the idle bound is not cut off; the bound counts afresh after it', async () => {
    const port = await serve({ idleMs: 400 });
    const session = await greeted(port);
    expect(await session.say('MAIL FROM:<manager@example.org>')).toMatch(/^250 /);
    expect(await session.say(`RCPT TO:<${replyTo('manager@example.org')}>`)).toMatch(/^250 /);
    expect(await session.say('DATA')).toMatch(/^354 /);
    // Over the size limit, so it is refused without reaching the handler, and read for 1.2 s.
    const line = `${'x'.repeat(998)}\r\n`;
    for (let n = 0; n < 12; n += 1) {
      session.write(line.repeat(30));
      await pause(100);
    }
    expect(await session.say('.')).toMatch(/^552 /);
    expect(await session.say('NOOP')).toBe('250 OK');
    const { answers, afterMs } = await keepSaying(session, ['NOOP'], 50, 5_000);
    expect(answers.at(-1)).toBe('421 4.4.2 No message begun in 0.4 s; connect again to send one.');
    expect(afterMs).toBeGreaterThanOrEqual(300);
  });

  it('a connection that keeps beginning messages is closed with 421 at its lifetime', async () => {
    const port = await serve({ lifetimeMs: 1_000, idleMs: 60_000, messagesPerConnection: 1_000, messagesPerMinute: 1_000 });
    const session = await greeted(port);
    const { answers, afterMs } = await keepSaying(session, ['MAIL FROM:<someone@example.org>', 'RSET'], 50, 5_000);
    expect(answers.at(-1)).toBe('421 4.4.2 Connection open 1 s, the longest allowed; connect again to go on.');
    expect(afterMs).toBeGreaterThanOrEqual(900);
    await session.closed();
  });
});

// An attacker who reconnects as soon as he is closed kept the server nearly full: with 5 addresses
// × 10 connections an honest mail server arriving at a random moment was nearly always told 421
// Too many connected clients. A newcomer to a full server now takes the slot of the connection
// that has gone longest without beginning a message, whatever else it sends; a message under way
// is never cut off for it.
describe('a full server', () => {
  it('takes the newcomer and closes with 421 the connection longest without beginning a message, never one with a message begun', async () => {
    const port = await serve({ maxClients: 3 });
    const begun = await greeted(port);
    expect(await begun.say('MAIL FROM:<someone@example.org>')).toMatch(/^250 /);
    expect(await begun.say(`RCPT TO:<${replyTo('manager@example.org')}>`)).toMatch(/^250 /);
    // Connected before `idlest`, but has begun (and dropped) a message since.
    const lately = await greeted(port, 'holder.example.org');
    const idlest = await greeted(port, 'holder.example.org');
    expect(await message(lately)).toBe('250 begun');
    // Commands that begin no message do not make a connection any less idle.
    for (const command of ['NOOP', 'RSET', 'EHLO holder.example.org']) expect(await idlest.say(command)).toMatch(/^250 /);
    const honest = await dial(port);
    expect(honest.greeting).toMatch(/^220 /);
    expect(await honest.say('EHLO honest.example.org')).toMatch(/^250 /);
    expect(await message(honest)).toBe('250 begun');
    expect(await idlest.heard()).toBe('421 4.4.5 Too many connected clients: this one, longest without beginning a message, is closed to make room; connect again to send one.');
    await idlest.closed();
    expect(await begun.say('RSET')).toBe('250 Flushed');
    expect(await lately.say('NOOP')).toBe('250 OK');
  });

  it('refuses the newcomer with 421 when every connection is in the middle of a message, and the messages go on', async () => {
    const port = await serve({ maxClients: 2 });
    const holders = [await greeted(port), await greeted(port)];
    const line = `${'x'.repeat(998)}\r\n`;
    for (const holder of holders) {
      expect(await holder.say('MAIL FROM:<manager@example.org>')).toMatch(/^250 /);
      expect(await holder.say(`RCPT TO:<${replyTo('manager@example.org')}>`)).toMatch(/^250 /);
      expect(await holder.say('DATA')).toMatch(/^354 /);
      holder.write(line.repeat(150));
    }
    const newcomer = await dial(port);
    expect(newcomer.greeting).toBe('421 4.4.5 Too many connected clients, each in the middle of a message; try again in a moment.');
    await newcomer.closed();
    // Over the size limit, so refused without reaching the handler: each was read to its end.
    for (const holder of holders) {
      holder.write(line.repeat(150));
      expect(await holder.say('.')).toMatch(/^552 /);
    }
  });
});

describe('counting in windows', () => {
  it('counts each key in its own window, starts afresh when the window ends, and forgets the least recently seen past its capacity', () => {
    let now = 0;
    const counts = new WindowCounts(60_000, 2, () => now);
    expect([counts.add('a'), counts.add('a')]).toEqual([
      { count: 1, retryAfterSeconds: 60 },
      { count: 2, retryAfterSeconds: 60 },
    ]);
    now = 59_500;
    expect(counts.add('a')).toEqual({ count: 3, retryAfterSeconds: 1 });
    now = 60_000;
    expect(counts.add('a').count).toBe(1);
    counts.add('b');
    counts.add('c');
    expect(counts.add('a').count).toBe(1);
    expect(counts.add('c').count).toBe(2);
  });
});
