import type { Contact, Recipient } from '../../policies/schema';
import type { DisputeStart, Party } from './model';

// Who is who in one dispute: the people of each tier, those involved so far, and who a policy's
// notice reaches. Contact changes (someone on leave) override the directory snapshot.

/** agency id → stage → contacts that replace the directory's. */
export type ContactOverrides = Record<string, Record<number, Contact[]>>;

export interface PartiesView {
  start: DisputeStart;
  overrides: ContactOverrides;
  /** Stages the dispute has entered, in order. */
  stagesEntered: number[];
}

export function tierContacts(view: PartiesView, party: Party, stage: number): Contact[] {
  const override = view.overrides[party.agency.id]?.[stage];
  if (override) return override;
  if (stage === 1) return [party.practitioner];
  // North Somerset's stage 4 goes to each agency's nominated board representative.
  if (view.start.policy.stages.find((candidate) => candidate.stage === stage)?.contacts === 'board-representative') return [party.agency.boardRepresentative];
  return party.agency.tiers.find((tier) => tier.stage === stage)?.contacts ?? [];
}

export function tierRole(party: Party, stage: number): string {
  return party.agency.tiers.find((tier) => tier.stage === stage)?.role ?? `stage ${stage}`;
}

export function unique(contacts: Contact[]): Contact[] {
  const seen = new Set<string>();
  return contacts.filter((contact) => {
    const key = contact.email.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Everyone who acts for a party in this dispute: its practitioner, its tiers' contacts and those
 * named in their place, its safeguarding lead and its board representative.
 */
export function peopleOf(view: PartiesView, party: Party): Contact[] {
  return unique([
    party.practitioner,
    ...party.agency.tiers.flatMap((tier) => tier.contacts),
    ...Object.values(view.overrides[party.agency.id] ?? {}).flat(),
    party.agency.designatedSafeguardingLead,
    party.agency.boardRepresentative,
  ]);
}

/** The parties an address acts for (one, unless an address was named for two). */
export function partiesOf(view: PartiesView, email: string): Party[] {
  const address = email.toLowerCase();
  return view.start.parties.filter((party) => peopleOf(view, party).some((contact) => contact.email.toLowerCase() === address));
}

export function stageContacts(view: PartiesView, stage: number): Contact[] {
  return unique(view.start.parties.flatMap((party) => tierContacts(view, party, stage)));
}

/** The board's officers who decide at the last stage. */
function deciders(view: PartiesView): Contact[] {
  return Object.values(view.start.officers);
}

/** May this address decide at this stage? The tier's people; at the last stage the board officers too. */
export function isPartyOfStage(view: PartiesView, email: string, stage: number, isLast: boolean): boolean {
  const address = email.toLowerCase();
  const people = isLast ? [...stageContacts(view, stage), ...deciders(view)] : stageContacts(view, stage);
  return people.some((contact) => contact.email.toLowerCase() === address);
}

/** Everyone from the agencies involved so far: the practitioners and each entered stage's tier. */
export function involvedSoFar(view: PartiesView, except: Contact[] = []): Contact[] {
  const excluded = new Set(except.map((contact) => contact.email.toLowerCase()));
  const stages = [1, ...view.stagesEntered];
  return unique(stages.flatMap((stage) => stageContacts(view, stage))).filter((c) => !excluded.has(c.email.toLowerCase()));
}

export function isInvolved(view: PartiesView, email: string): boolean {
  const address = email.toLowerCase();
  return [...involvedSoFar(view), ...deciders(view)].some((contact) => contact.email.toLowerCase() === address);
}

/** The raising agency's people involved so far: who may withdraw the concern. */
export function raisingPeople(view: PartiesView): Contact[] {
  const raising = view.start.parties[0]!;
  return unique([1, ...view.stagesEntered].flatMap((stage) => tierContacts(view, raising, stage)));
}

export function recipientsOf(view: PartiesView, recipient: Recipient): Contact[] {
  const { start } = view;
  switch (recipient.kind) {
    case 'officer': {
      const officer = start.officers[recipient.officer];
      return officer ? [officer] : [];
    }
    case 'agency-role': {
      const parties = recipient.agencies === 'raising' ? start.parties.slice(0, 1) : start.parties;
      return unique(
        parties.map((party) =>
          recipient.role === 'designated-safeguarding-lead' ? party.agency.designatedSafeguardingLead : party.agency.boardRepresentative,
        ),
      );
    }
    case 'safeguarding-plan-lead':
      return start.safeguardingPlanLead ? [start.safeguardingPlanLead] : [];
    case 'tier':
      return stageContacts(view, recipient.stage);
    case 'parties':
      return involvedSoFar(view);
  }
}
