import { buildDisputeStart, type NewDispute } from '../../client/disputes';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { expect } from 'vitest';
import type { DisputeStart } from '../../workflows/dispute/model';
import { DisputeProcedure, Rejection, type Effect, type Operation, type ProcedureRules } from '../../workflows/dispute/procedure';

// The procedure without Temporal: what the workflow shell does (feed it time and messages, collect
// its effects), done by hand, so each rule is tested in microseconds.

export const context = { policies: PolicyRegistry.fromDirectory(), directory: loadDirectory(), holidays: { changes: [] } };

export const boards = {
  rotherham: { policy: 'rotherham-rsab', agencies: ['rotherham-asc', 'rotherham-nhs'] },
  cheshire: { policy: 'cheshire-west-and-chester-lsab', agencies: ['cwac-nhs', 'cwac-asc'] },
  leeds: { policy: 'leeds-sab', agencies: ['leeds-vcs', 'leeds-asc'] },
  norfolk: { policy: 'norfolk-nsab', agencies: ['norfolk-gp', 'norfolk-asc'] },
  northSomerset: { policy: 'north-somerset-nssab', agencies: ['nsomerset-asc', 'nsomerset-police'] },
} as const;
export type Board = keyof typeof boards;

export const T0 = '2026-03-27T10:30:00Z';

export function newDispute(board: Board, changes: Partial<NewDispute> = {}): NewDispute {
  const { policy, agencies } = boards[board];
  return {
    policy,
    concernAt: T0,
    category: 'neglect',
    risk: 'standard',
    agencies: agencies.map((agencyId, index) => ({
      agencyId,
      practitioner: { name: index === 0 ? 'Pat Raiser' : 'Robin Other', email: `${index === 0 ? 'pat.raiser' : 'robin.other'}@${agencyId}.example.org` },
    })),
    personReference: 'REF-1',
    summary: 'A disagreement about a care plan.',
    ...changes,
  };
}

export interface Sent {
  at: number;
  kind: string;
  stage: number;
  to: string[];
  facts: Extract<Effect, { type: 'send' }>['batch']['facts'];
  /** When an email that asks for something waits for office hours. */
  notBefore?: number;
}

/** A dispute driven by hand: time moves only when asked, and every email it asks for is kept. */
/** `started`: changes the start as today's checks would refuse it but an earlier release's took it (the procedure must still hold it to its rules). */
export function drive(board: Board, changes: Partial<NewDispute> = {}, options: { started?: (start: DisputeStart) => void; rules?: ProcedureRules } = {}) {
  const input = newDispute(board, changes);
  const start = buildDisputeStart(input, context, { disputeId: 'test-procedure', now: Date.parse(input.concernAt) });
  options.started?.(start);
  const procedure = new DisputeProcedure(start, options.rules);
  const sent: Sent[] = [];
  let clock = Date.parse(start.concernAt);
  const keep = (effects: Effect[]) => {
    for (const effect of effects) {
      if (effect.type === 'send') {
        sent.push({ at: clock, kind: effect.batch.kind, stage: effect.stage, to: effect.batch.recipients.map((c) => c.email), facts: effect.batch.facts, ...(effect.notBefore !== undefined ? { notBefore: effect.notBefore } : {}) });
      }
    }
  };
  keep(procedure.begin(clock));
  return {
    procedure,
    start,
    sent,
    get now() {
      return clock;
    },
    /** Moves time to `instant`, handling everything due on the way, as the workflow's timers do. */
    until(instant: string | number) {
      const target = typeof instant === 'number' ? instant : Date.parse(instant);
      // Also after closing, while the dispute waits for its form's question to be answered.
      for (let guard = 0; guard < 1000; guard++) {
        const wake = procedure.nextWake();
        if (wake === null || wake > target) break;
        clock = Math.max(clock, wake);
        keep(procedure.tick(clock));
      }
      clock = Math.max(clock, target);
    },
    hours(hours: number) {
      this.until(clock + hours * 3_600_000);
    },
    /** Checks and applies a message now; throws the Rejection if it is refused. */
    send<O extends Operation>(operation: O, payload: unknown) {
      const input = procedure.check(operation, payload, clock);
      keep(procedure.apply(operation, input, clock));
      return procedure.accepted();
    },
    emails(kind: string) {
      return sent.filter((email) => email.kind === kind);
    },
    entries() {
      return procedure.state.events.filter((event) => event.type === 'stage-entered').map((event) => [event.stage, event.at] as const);
    },
  };
}

export function officerOf(policy: string, id: string): string {
  return context.directory.boards[policy]!.officers[id]!.email;
}

export function tierOf(agencyId: string, stage: number): string[] {
  return context.directory.agencies.find((agency) => agency.id === agencyId)!.tiers.find((tier) => tier.stage === stage)!.contacts.map((c) => c.email);
}

export function partyAt(agencyId: string, stage: number, practitioner: string): string {
  return stage === 1 ? practitioner : tierOf(agencyId, stage)[0]!;
}

/** The Rejection a message meets; fails the test if it was accepted. */
export function refusal(action: () => unknown): Rejection {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Rejection);
    return error as Rejection;
  }
  throw new Error('it was accepted');
}
