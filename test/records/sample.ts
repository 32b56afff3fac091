import type { RecordWrite } from '../../activities/records/types';
import type { DisputeEvent } from '../../workflows/dispute/model';

// Hand-made writes for the store's own tests; the workflow's real writes are tested in flow.test.ts.

const at = (minutes: number, base = '2026-03-27T10:30:00.000Z') => new Date(Date.parse(base) + minutes * 60_000).toISOString();

export function sampleEvents(count: number, base?: string): DisputeEvent[] {
  const events: DisputeEvent[] = [
    { seq: 1, at: at(0, base), stage: 1, type: 'started', risk: 'standard', category: 'neglect' },
    { seq: 2, at: at(0, base), stage: 1, type: 'stage-entered', reason: 'started', deadline: at(2880, base) },
    { seq: 3, at: at(0, base), stage: 1, type: 'email', kind: 'stage-entered', to: ['pat.raiser@rotherham-asc.example.org', 'robin.other@rotherham-nhs.example.org'] },
    { seq: 4, at: at(60, base), stage: 1, type: 'note', by: 'pat.raiser@rotherham-asc.example.org', text: 'Called the ward, "urgent", ok.' },
    { seq: 5, at: at(120, base), stage: 1, type: 'outcome', by: 'robin.other@rotherham-nhs.example.org', decision: 'unresolved', reason: 'No agreement on the care plan.' },
    { seq: 6, at: at(120, base), stage: 2, type: 'stage-entered', reason: 'unresolved', deadline: at(7200, base) },
    { seq: 7, at: at(180, base), stage: 2, type: 'outcome', by: 'bethan.carver@rotherham-nhs.example.org', decision: 'resolved', agreedActions: 'A joint review on Friday.' },
    { seq: 8, at: at(180, base), stage: 2, type: 'closed', outcome: 'resolved' },
  ];
  return events.slice(0, count);
}

export function sampleWrite(
  options: { id?: string; board?: string; agencies?: string[]; events?: number; base?: string; category?: string; risk?: 'standard' | 'high' | 'imminent'; personReference?: string; summary?: string } = {},
): RecordWrite {
  const events = sampleEvents(options.events ?? 8, options.base);
  const closed = events.some((event) => event.type === 'closed');
  const last = events[events.length - 1]!;
  const agencies = options.agencies ?? ['rotherham-asc', 'rotherham-nhs'];
  const stage = last.stage;
  return {
    lastSeq: events.length,
    events,
    row: {
      view: {
        disputeId: options.id ?? 'rsab-sample',
        policy: { id: 'rotherham-rsab', version: 1 },
        board: options.board ?? 'rotherham-rsab',
        personReference: options.personReference ?? 'RMBC-000123',
        status: closed ? 'resolved' : 'open',
        stage,
        tier: stage === 1 ? 'practitioner' : 'line-manager',
        risk: options.risk ?? 'standard',
        category: (options.category ?? 'neglect') as 'neglect',
        concernAt: events[0]!.at,
        enteredStageAt: stage === 1 ? events[0]!.at : at(120, options.base),
        deadlines: { startBy: null, concludeBy: stage === 1 ? at(2880, options.base) : at(7200, options.base), escalateAt: null, remindAt: closed ? null : at(1440, options.base) },
        awaiting: closed ? [] : agencies.map((agencyId) => ({ agencyId, agency: agencyId.toUpperCase(), contacts: [{ name: 'Pat Raiser', email: `pat@${agencyId}.example.org` }] })),
        agencies: agencies.map((id, index) => ({ id, name: id.toUpperCase(), raising: index === 0, people: [`pat@${id}.example.org`] })),
      },
      summary: options.summary ?? 'Disagreement about discharge planning.',
      startedAt: events[0]!.at,
      closedAt: closed ? last.at : null,
      timeTaken: closed ? { workingDays: 0.38, calendarDays: 0.13 } : null,
      agreedActions: closed ? 'A joint review on Friday.' : null,
      form: { name: 'Record of Escalation', reference: 'RSAB Appendix 1', fields: [{ id: 'person', label: 'Adult at risk', value: 'Reference RMBC-000123' }] },
    },
  };
}
