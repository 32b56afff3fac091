import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { concernWith, contactsAt, twoAgencies, useDisputeKit } from '../support/disputes';
import { testDataConverter } from '../support/temporal';
import { enteredStages, mailMatching, plusHours, saveHistory, subjectHas, utc } from './scenarios';

// A mail server that fails must not hold a dispute up; one that refuses an address must be on record.
// Leeds at imminent risk gives each stage one working day: a short outage spans a deadline.
const BOARD = 'leeds';
const T0 = '2026-04-13T10:30:00+01:00'; // Mon
const STAGE_2 = '2026-04-14T10:30+01:00'; // one working day later
const RAISER = 'pat.raiser@leeds-asc.example.org';
const OTHER = 'robin.other@leeds-nhs.example.org';

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'leeds-sab',
  concernAt: T0,
  category: 'neglect' as const,
  risk: 'imminent' as const,
  agencies: twoAgencies(BOARD),
  personReference: 'LCC-000555',
  summary: 'Disagreement about the frequency of district nurse visits.',
});

async function decodedFailureMessage(encoded: Payload): Promise<string> {
  const [decoded] = await testDataConverter.payloadCodecs![0]!.decode([encoded]);
  return defaultPayloadConverter.fromPayload<{ message: string }>(decoded!).message;
}

describe('email delivery', () => {
  it('while the SMTP server fails, the dispute still escalates on time; the emails arrive once it recovers, each with its own stable Message-ID', async () => {
    kit.sink.failing = true;
    let dispute;
    try {
      dispute = await kit.start(concern());
      await dispute.at(plusHours(STAGE_2, 1));
      expect(await enteredStages(dispute)).toEqual([
        [1, utc(T0)],
        [2, utc(STAGE_2)],
      ]);
      expect(dispute.mail()).toEqual([]);
      // Queued is not sent: the event log says which (issue 13, finding 9).
      const queued = await dispute.events('email-queued');
      expect(queued.filter((event) => 'kind' in event && event.kind === 'stage-entered').map((event) => event.stage)).toEqual([1, 2]);
      expect(await dispute.events('email-sent')).toEqual([]);
      // What the retries leave in history and the worker's log names the SMTP code, not who was written to.
      const pending = (await dispute.handle.describe()).raw.pendingActivities ?? [];
      // The message is encrypted in history ("Encoded failure"); decoded with the payload keys it names the code.
      expect(pending.map((activity) => activity.lastFailure?.message)).not.toContain(undefined);
      expect(new Set(pending.map((activity) => activity.lastFailure?.message))).toEqual(new Set(['Encoded failure']));
      const failures = await Promise.all(pending.map((activity) => decodedFailureMessage(activity.lastFailure!.encodedAttributes!)));
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(failure).toMatch(/^SMTP transient failure \(451/);
        expect(failure).not.toMatch(/@/);
      }
    } finally {
      kit.sink.failing = false;
    }
    // Retries back off to at most 30 minutes; an hour later every email has gone.
    await dispute.at(plusHours(STAGE_2, 2));
    const stage1 = await mailMatching(dispute, subjectHas('stage 1: your decision is needed'), 2);
    const stage2 = await mailMatching(dispute, subjectHas('stage 2: your decision is needed'), 2);
    expect(stage1.flatMap((mail) => mail.envelopeTo).sort()).toEqual([RAISER, OTHER].sort());
    expect(stage2.flatMap((mail) => mail.envelopeTo).sort()).toEqual([...contactsAt(BOARD, 'asc', 2), ...contactsAt(BOARD, 'nhs', 2)].sort());
    const ids = [...stage1, ...stage2].map((mail) => mail.messageId);
    expect(new Set(ids).size).toBe(4);
    for (const id of stage1.map((mail) => mail.messageId)) {
      expect(id).toMatch(new RegExp(`^<${dispute.disputeId}\\.s1\\.stage-entered\\.1\\.[0-9a-f]{16}@test\\.example\\.org>$`));
    }
    // Delivered late, not lost: nothing was given up.
    expect(await dispute.events('email-failed')).toEqual([]);
    const sent = await dispute.events('email-sent');
    const sentAt = (stage: number) => sent.filter((event) => 'kind' in event && event.kind === 'stage-entered' && event.stage === stage);
    expect(sentAt(1).flatMap((event) => (event.type === 'email-sent' ? event.to : [])).sort()).toEqual([RAISER, OTHER].sort());
    // Recorded when the activity reported, after the outage: later than the stage-2 deadline.
    expect(sentAt(1).every((event) => event.at > utc(STAGE_2))).toBe(true);
    expect(await dispute.events('email')).toEqual([]);
    await saveHistory(dispute, 'smtp-outage-retried');
  });

  it('an address the server refuses permanently is recorded as rejected; the others are sent and the dispute goes on', async () => {
    kit.sink.rejectRecipients.add(OTHER);
    try {
      const dispute = await kit.start(concern());
      await dispute.at(plusHours(T0, 1));
      const [rejected] = await dispute.events('email-rejected');
      expect(rejected).toMatchObject({ type: 'email-rejected', stage: 1, kind: 'stage-entered', to: OTHER });
      expect(rejected!.type === 'email-rejected' && rejected!.reason).toMatch(/550|No such mailbox/);
      const sent = await mailMatching(dispute, subjectHas('stage 1: your decision is needed'));
      expect(sent.flatMap((mail) => mail.envelopeTo)).toEqual([RAISER]);
      const [recorded] = (await dispute.events('email-sent')).filter((event) => 'kind' in event && event.kind === 'stage-entered');
      expect(recorded).toMatchObject({ stage: 1, to: [RAISER] });
      await dispute.at(plusHours(STAGE_2, 1));
      expect((await dispute.state()).stage).toBe(2);
    } finally {
      kit.sink.rejectRecipients.clear();
    }
  });
});
