import type { Kysely } from 'kysely';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { disputeContext } from '../client/disputes';
import { loadConfig } from '../runtime/config';
import { startMailCatcher } from '../runtime/mail-catcher';
import { openRecordsStore } from '../records/open';
import type { RecordsDatabase } from '../records/schema';
import { personalSeal } from '../records/seal';
import { KeyRing } from '../runtime/key-ring';
import { benchLimits } from './limits';

// The board pages over a large records store: 50,000 of one board's disputes over two years (PGlite,
// in memory), and the time the board log and the yearly report take to render, through HTTP
// inject (Fastify's in-process requests: the page's own time, without a socket).

const RECORDS = 50_000;
const BOARD = 'rotherham-rsab';
const AGENCIES = ['rotherham-asc', 'rotherham-nhs', 'rotherham-police', 'rotherham-gp', 'rotherham-vcs'];
const CATEGORIES = ['abuse', 'neglect', 'self-neglect', 'other'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Deterministic pseudo-random numbers, so every run measures the same records. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export async function seedRecords(db: Kysely<RecordsDatabase>, count: number, year: number): Promise<void> {
  const next = random(42);
  const start = Date.UTC(year - 1, 0, 1, 9);
  const span = 2 * 365 * DAY;
  for (let offset = 0; offset < count; offset += 500) {
    const disputes = [];
    const personal = [];
    const events = [];
    for (let index = offset; index < Math.min(count, offset + 500); index += 1) {
      const id = `rsab-b${String(index).padStart(6, '0')}`;
      const startedAt = start + Math.floor((index / count) * span);
      const raising = AGENCIES[Math.floor(next() * AGENCIES.length)]!;
      const other = AGENCIES.filter((agency) => agency !== raising)[Math.floor(next() * (AGENCIES.length - 1))]!;
      const stages = 1 + Math.floor(next() * next() * 4);
      const open = startedAt > start + span - 30 * DAY && next() < 0.7;
      const outcome = open ? null : ['resolved', 'resolved', 'resolved', 'decided', 'withdrawn', 'unresolved'][Math.floor(next() * 6)]!;
      const risk = next() < 0.05 ? 'imminent' : next() < 0.2 ? 'high' : 'standard';
      let seq = 0;
      let at = startedAt;
      events.push({ dispute_id: id, seq: ++seq, at: new Date(at), stage: 1, type: 'started', by: null, data: JSON.stringify({ risk, category: 'neglect' }) });
      for (let stage = 1; stage <= stages; stage += 1) {
        const reason = stage === 1 ? 'started' : next() < 0.5 ? 'deadline' : 'unresolved';
        events.push({ dispute_id: id, seq: ++seq, at: new Date(at), stage, type: 'stage-entered', by: null, data: JSON.stringify({ reason, deadline: new Date(at + 3 * DAY).toISOString() }), deadline_passed: reason === 'deadline' });
        events.push({ dispute_id: id, seq: ++seq, at: new Date(at), stage, type: 'email', by: null, data: JSON.stringify({ kind: 'stage-entered', to: [`a@${raising}.example.org`] }) });
        if (stage < stages) at += Math.floor((1 + next() * 5) * DAY);
      }
      const closedAt = open ? null : at + Math.floor((0.5 + next() * 4) * DAY);
      if (closedAt) events.push({ dispute_id: id, seq: ++seq, at: new Date(closedAt), stage: stages, type: 'closed', by: null, data: JSON.stringify({ outcome }) });
      disputes.push({
        dispute_id: id, board: BOARD, policy_id: BOARD, policy_version: 1, category: CATEGORIES[Math.floor(next() * CATEGORIES.length)]!, risk,
        status: outcome ?? 'open', outcome, stage: stages, tier: 'practitioner', concern_at: new Date(startedAt), concern_at_given: new Date(startedAt).toISOString(), started_at: new Date(startedAt), entered_stage_at: new Date(at),
        start_by: null, conclude_by: open ? new Date(at + 3 * DAY) : null, escalate_at: null, remind_at: null, deadline: open ? new Date(at + 3 * DAY) : null,
        closed_at: closedAt ? new Date(closedAt) : null, working_days: closedAt ? Math.round(((closedAt - startedAt) / DAY) * 0.7 * 100) / 100 : null, calendar_days: closedAt ? (closedAt - startedAt) / DAY : null,
        agencies: JSON.stringify([raising, other]), last_seq: seq,
      });
      personal.push({ dispute_id: id, person_reference: `REF-${index}`, summary: 'A disagreement about a care plan.', agreed_actions: null, awaiting: JSON.stringify(open ? [{ agencyId: raising, agency: raising, contacts: [] }] : []) });
    }
    await db.insertInto('disputes').values(disputes).execute();
    // Sealed as the workflow's writes seal them: what the pages open is what they would open in use.
    const seal = personalSeal(db);
    await db.insertInto('dispute_personal').values(personal.map((row) => seal.sealRow('dispute_personal', row))).execute();
    for (let at = 0; at < events.length; at += 2000) await db.insertInto('dispute_events').values(events.slice(at, at + 2000).map((row) => seal.sealRow('dispute_events', row))).execute();
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

export async function webBench(): Promise<{ name: string; value: string }[]> {
  const config = loadConfig({});
  const context = disputeContext(config);
  const store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: KeyRing.parse(KeyRing.newLine('bench'), 'bench key') });
  const catcher = await startMailCatcher();
  const year = new Date().getUTCFullYear();
  const seeding = Date.now();
  await seedRecords(store.db, RECORDS, year);
  const seeded = Date.now() - seeding;
  // The pages asked for here read only the records store: no Temporal is needed.
  const app = buildApi({
    disputes: { client: undefined as never, taskQueue: 'bench', context },
    keys: ApiKeys.demo(context.directory).keys,
    limits: benchLimits,
    web: { records: store.db, secret: 'a bench secret for the board pages', mail: { host: catcher.host, port: catcher.port, secure: false, from: 'bench@example.org', messageIdDomain: 'bench.example.org' }, publicUrl: 'http://127.0.0.1' },
  });
  let cookie = '';
  const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
    const response = await app.inject({ method, url, headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(form ? { payload: new URLSearchParams(form).toString() } : {}) });
    const set = response.headers['set-cookie'];
    if (set) cookie = String(set).split(';')[0]!;
    return response;
  };
  const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)![1]!;
  const signIn = await request('GET', '/web/sign-in');
  await request('POST', '/web/sign-in', { csrf: csrfOf(signIn.body), email: 'board-manager.rotherham@board.example.org' });
  while (catcher.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  const link = new URL(/(http\S+)/.exec(catcher.messages[0]!.text)![1]!).pathname;
  const linkPage = await request('GET', link);
  await request('POST', link, { csrf: csrfOf(linkPage.body) });

  const time = async (url: string, runs: number) => {
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      const response = await request('GET', url);
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return `${quantile(times, 0.5).toFixed(0)} ms / ${quantile(times, 0.99).toFixed(0)} ms`;
  };
  const rows = [
    { name: `seeding ${RECORDS.toLocaleString('en-GB')} records (PGlite in memory)`, value: `${(seeded / 1000).toFixed(0)} s` },
    { name: 'board log (open disputes, first page), p50 / p99', value: await time('/web/overview', 100) },
    { name: 'board log, all statuses, page 500, p50 / p99', value: await time('/web/overview?status=all&page=500', 50) },
    { name: `yearly report (${year - 1}, ~25,000 disputes), p50 / p99`, value: await time(`/web/reports?period=${year - 1}`, 20) },
  ];
  await app.close();
  await store.close();
  await catcher.close();
  return rows;
}
