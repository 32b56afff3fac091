import type { RecordWrite } from '../../activities/records/types';
import type { Outcome } from '../../workflows/dispute/model';
import type { DisputeEvent } from '../../workflows/dispute/model';
import { context } from '../support/disputes';

const nameOf = (id: string) => context.directory.agencies.find((agency) => agency.id === id)?.name ?? id;

// Hand-written records for the board pages' tests: a dispute's stages and close, as the workflow
// would have written them, with the instants given by hand.

export interface HandRecord {
  id: string;
  board?: string;
  /** Raising agency first. */
  agencies: string[];
  category?: 'abuse' | 'neglect' | 'self-neglect' | 'other';
  risk?: 'standard' | 'high' | 'imminent';
  /** Each stage entered: [stage, at, why, its deadline]. */
  stages: [number, string, 'started' | 'unresolved' | 'deadline' | 'imminent-risk', string?][];
  overdue?: { at: string; notice: number }[];
  closed?: { at: string; outcome: Outcome; workingDays: number };
}

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

const tiers = ['practitioner', 'line-manager', 'senior-manager', 'board'] as const;

export function handRecord(record: HandRecord): RecordWrite {
  const events: DisputeEvent[] = [];
  const push = (event: WithoutSeq<DisputeEvent>) => events.push({ ...event, seq: events.length + 1 } as DisputeEvent);
  const startedAt = record.stages[0]![1];
  push({ at: startedAt, stage: 1, type: 'started', risk: record.risk ?? 'standard', category: record.category ?? 'neglect' });
  for (const [stage, at, reason, deadline] of record.stages) push({ at, stage, type: 'stage-entered', reason, deadline: deadline ?? null });
  const [lastStage, enteredAt, , lastDeadline] = record.stages[record.stages.length - 1]!;
  for (const overdue of record.overdue ?? []) push({ at: overdue.at, stage: lastStage, type: 'overdue', concludeBy: lastDeadline ?? overdue.at, notice: overdue.notice });
  if (record.closed) {
    if (record.closed.outcome === 'withdrawn') push({ at: record.closed.at, stage: lastStage, type: 'withdrawn', by: `pat@${record.agencies[0]}.example.org`, reason: 'Settled.' });
    else push({ at: record.closed.at, stage: lastStage, type: 'outcome', by: `pat@${record.agencies[0]}.example.org`, decision: record.closed.outcome === 'unresolved' ? 'unresolved' : record.closed.outcome, agreedActions: 'A joint visit.' });
    push({ at: record.closed.at, stage: lastStage, type: 'closed', outcome: record.closed.outcome });
  }
  const open = !record.closed;
  return {
    lastSeq: events.length,
    events,
    row: {
      view: {
        disputeId: record.id,
        policy: { id: record.board ?? 'rotherham-rsab', version: 1 },
        board: record.board ?? 'rotherham-rsab',
        personReference: 'REF-0001',
        status: record.closed?.outcome ?? 'open',
        stage: lastStage,
        tier: tiers[lastStage - 1] ?? 'board',
        risk: record.risk ?? 'standard',
        category: record.category ?? 'neglect',
        concernAt: startedAt,
        enteredStageAt: enteredAt,
        deadlines: { startBy: null, concludeBy: open ? (lastDeadline ?? null) : null, escalateAt: null, remindAt: null },
        awaiting: open ? record.agencies.map((agencyId) => ({ agencyId, agency: nameOf(agencyId), contacts: [{ name: 'A Contact', email: `a@${agencyId}.example.org` }] })) : [],
        agencies: record.agencies.map((id, index) => ({ id, name: nameOf(id), raising: index === 0, people: [`pat@${id}.example.org`] })),
      },
      summary: 'A disagreement about a care plan.',
      startedAt,
      closedAt: record.closed?.at ?? null,
      timeTaken: record.closed ? { workingDays: record.closed.workingDays, calendarDays: 1 } : null,
      agreedActions: record.closed ? 'A joint visit.' : null,
      form: null,
    },
  };
}
