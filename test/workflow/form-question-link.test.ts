import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { expiryDay, signDecisionToken } from '../../runtime/decision-token';
import { concernWith, contactsAt, context, officer, twoAgencies, useDisputeKit } from '../support/disputes';
import { decide, mailMatching, plusHours, saveHistory, subjectHas, toMinute } from './scenarios';

// North Somerset's effectiveness question answered by its link form, end to end: the real workflow
// on the time-skipping server, the real email activity writing the link, the API's page over real
// HTTP. The link's token is for answering only, and only the person asked may answer, once.

const SECRET = 'test-reply-secret-of-enough-length';
const LINK_BASE = 'http://answers.test.example.org';
const RAISER = 'pat.raiser@nsomerset-asc.example.org';
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT

const kit = useDisputeKit({ decisions: { secret: SECRET, addressing: { localPart: 'reply', domain: 'replies.test.example.org' }, linkBase: LINK_BASE, ttlDays: 30 } });
let api: FastifyInstance;
let apiBase: string;
/** The API checks a link's expiry on the disputes' clock, which the kit lines up with each concern. */
let shift = 0;

beforeAll(async () => {
  api = buildApi({ disputes: { client: kit.env.client, taskQueue: kit.taskQueue, context }, keys: ApiKeys.demo(context.directory).keys, decisions: { secret: SECRET, now: () => Date.now() + shift } });
  apiBase = await api.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await api?.close();
});

const concern = concernWith({
  policy: 'north-somerset-nssab',
  concernAt: T0,
  category: 'self-neglect',
  risk: 'standard',
  agencies: twoAgencies('nsomerset', 'asc', 'police'),
  personReference: 'NSC-77',
  summary: 'A disagreement about a welfare check.',
});

const post = (path: string, form: Record<string, string>) =>
  fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

describe('the effectiveness question by its link form', () => {
  it('the raising practitioner opens the link, answers once; the completed Monitoring Form goes with the answer and the dispute completes', async () => {
    const dispute = await kit.start(concern());
    shift = Date.parse(await dispute.now()) - Date.now();
    for (const stage of [1, 2]) {
      await dispute.at(plusHours(T0, stage));
      await decide(dispute, stage, 'unresolved');
    }
    await dispute.at(plusHours(T0, 3));
    await decide(dispute, 3, 'resolved');
    const [asked] = await mailMatching(dispute, subjectHas('a question for the board’s form'));
    const path = asked!.text.match(/open http:\/\/answers\.test\.example\.org(\/answers\/([a-z2-7]+))/)![1]!;
    const token = path.split('/').at(-1)!;
    expect(asked!.headers.get('reply-to') ?? '').toBe(''); // answered by the link, not by reply

    // A token made for answering is no decision token, and a decision token answers nothing.
    expect((await fetch(`${apiBase}/decisions/${token}/resolved`)).status).toBe(404);
    const decisionToken = signDecisionToken(SECRET, { disputeId: dispute.disputeId, stage: 3, recipient: RAISER, expiresDay: expiryDay(Date.now() + shift, 30) });
    expect((await fetch(`${apiBase}/answers/${decisionToken}`)).status).toBe(404);
    // One changed character is an altered token.
    expect((await fetch(`${apiBase}/answers/${token.slice(0, -3)}${token.slice(-3) === 'aaa' ? 'bbb' : 'aaa'}`)).status).toBe(404);

    const opened = await fetch(`${apiBase}${path}`);
    const form = await opened.text();
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-security-policy')).toContain("frame-ancestors 'none'"); // test/decision-pages.test.ts has the rest
    for (const choice of ['Very effective', 'Effective', 'Partly effective', 'Not effective']) expect(form).toContain(`value="${choice}"`);
    expect(dispute.mail().some((mail) => mail.text.includes('The completed Monitoring Form'))).toBe(false); // opening records nothing

    // Bad forms are refused, naming the field; nothing is recorded. A form only: JSON is a 415.
    const json = await fetch(`${apiBase}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"choice":{"toString":1}}' });
    expect(json.status).toBe(415);
    const unknown = await post(path, { choice: 'Effective', padding: 'x' });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('padding');
    expect((await post(path, { choice: 'Effective', comment: 'x'.repeat(2001) })).status).toBe(400);
    const wrong = await post(path, { choice: 'Brilliant' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('choice: expected one of Very effective, Effective, Partly effective, Not effective');

    const answered = await post(path, { choice: 'Partly effective', comment: 'Stage 2 took long to arrange.' });
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('Partly effective');
    const again = await post(path, { choice: 'Not effective' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already been answered');

    const record = await dispute.handle.result();
    // Update IDs are kept in clear in history: the answer's names its token by a keyed hash only.
    const updateIds = ((await dispute.handle.fetchHistory()).events ?? []).flatMap((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? []);
    expect(updateIds.filter((id) => id.startsWith('link:'))).toEqual([expect.stringMatching(/^link:[0-9a-f]{32}:answer:[0-9a-f]{16}$/)]);
    expect(updateIds.join(' ')).not.toContain(token.slice(-13));
    expect(record.outcome).toBe('resolved');
    expect(record.form!.fields.find((field) => field.id === 'effectiveness')!.value).toBe('Partly effective — Stage 2 took long to arrange. (the raising practitioner, 2026-03-27)');
    expect(record.events.filter((event) => event.type === 'question-answered')).toEqual([expect.objectContaining({ by: RAISER, choice: 'Partly effective' })]);
    const completed = await mailMatching(dispute, (mail) => mail.text.includes('The completed Monitoring Form'), 4);
    expect(completed.flatMap((mail) => mail.envelopeTo).sort()).toEqual(
      ['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org', officer('north-somerset-nssab', 'qa-lead'), officer('north-somerset-nssab', 'board-manager')].sort(),
    );
    expect(completed[0]!.text).toContain('how the policy can be improved: Partly effective — Stage 2 took long to arrange.');
    // It completed when answered, not at the end of the 10 working days.
    const closeTime = (await dispute.handle.describe()).closeTime!.getTime();
    const offset = Date.parse(await dispute.now()) - (await kit.env.currentTimeMs());
    expect(toMinute(new Date(closeTime + offset).toISOString())).toBe(toMinute(plusHours(T0, 3)));
    await saveHistory(dispute, 'north-somerset-effectiveness-answered-by-link');
    // The same, with the update ID that names the token by a keyed hash (replay does not read update IDs).
    await saveHistory(dispute, 'north-somerset-answered-by-link-keyed-update-id');
  });
});

const call = async (path: string, key: string, body: unknown) => {
  const response = await fetch(`${apiBase}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the API and the rationale link', () => {
  it('North Somerset: the raising agency answers over the API (POST /disputes/<id>/answer) after the dispute closed; another agency may not', async () => {
    const dispute = await kit.start(concern());
    shift = Date.parse(await dispute.now()) - Date.now();
    for (const stage of [1, 2]) {
      await dispute.at(plusHours(T0, stage));
      await decide(dispute, stage, 'unresolved');
    }
    await dispute.at(plusHours(T0, 3));
    await decide(dispute, 3, 'resolved');
    const path = `/disputes/${dispute.disputeId}/answer`;
    const other = await call(path, 'demo-nsomerset-police', { by: RAISER, field: 'effectiveness', choice: 'Effective' });
    expect(other.status).toBe(403);
    const unknown = await call(path, 'demo-nsomerset-asc', { by: RAISER, field: 'effectiveness', choice: 'Effective', padding: 'x' });
    expect(unknown).toMatchObject({ status: 400, body: { field: 'padding' } });
    const answered = await call(path, 'demo-nsomerset-asc', { by: RAISER, field: 'effectiveness', choice: 'Not effective', comment: 'Too slow.' });
    expect(answered).toMatchObject({ status: 200, body: { status: 'resolved', stage: 3 } });
    const record = await dispute.handle.result();
    expect(record.form!.fields.find((field) => field.id === 'effectiveness')!.value).toMatch(/^Not effective — Too slow\./);
  });

  it('Leeds: the organisation records its decision and rationale by the link in the email that asks, or over the API; the dispute then closes', async () => {
    const leeds = concernWith({ policy: 'leeds-sab', concernAt: T0, category: 'other', risk: 'standard', agencies: twoAgencies('leeds', 'vcs', 'asc'), personReference: 'LCC-9', summary: 'A disagreement about a closure.' });
    const dispute = await kit.start(leeds());
    shift = Date.parse(await dispute.now()) - Date.now();
    for (const stage of [1, 2, 3]) {
      await dispute.at(plusHours(T0, stage));
      await decide(dispute, stage, 'unresolved');
    }
    const senior = contactsAt('leeds', 'vcs', 3)[0]!;
    const [asked] = await mailMatching(dispute, (mail) => mail.subject.includes('stage 3: your organisation’s decision and rationale') && mail.envelopeTo.includes(senior));
    const path = asked!.text.match(/open http:\/\/answers\.test\.example\.org(\/decisions\/[a-z2-7]+\/rationale)/)![1]!;
    const opened = await fetch(`${apiBase}${path}`);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('name="rationale"');
    expect((await post(path, { decision: 'Reopen it.', rationale: 'New facts.', padding: 'x' })).status).toBe(400);
    expect((await post(path, { decision: 'Reopen it.', rationale: 'New facts.' })).status).toBe(200);
    expect((await dispute.state()).status).toBe('open');
    // The council's own, over the API; another agency's key may not speak for it.
    const by = contactsAt('leeds', 'asc', 3)[0]!;
    expect((await call(`/disputes/${dispute.disputeId}/rationale`, 'demo-leeds-vcs', { by, decision: 'x', rationale: 'y' })).status).toBe(403);
    const closed = await call(`/disputes/${dispute.disputeId}/rationale`, 'demo-leeds-asc', { by, decision: 'The closure stands.', rationale: 'Threshold not met.' });
    expect(closed).toMatchObject({ status: 200, body: { status: 'unresolved' } });
    const record = await dispute.handle.result();
    expect(record.organisations).toEqual([
      expect.objectContaining({ agencyId: 'leeds-vcs', decision: 'Reopen it.', rationale: 'New facts.', by: senior }),
      expect.objectContaining({ agencyId: 'leeds-asc', decision: 'The closure stands.' }),
    ]);
    await saveHistory(dispute, 'leeds-rationale-by-link-keyed-update-id');
  });
});
