import { describe, expect, it } from 'vitest';
import { currentRules, RejectionType } from '../../workflows/dispute/procedure';
import type { DisputeStart } from '../../workflows/dispute/model';
import { drive, officerOf, refusal, tierOf } from './kit';

// The hostile review of s18: a contact change could name another party's person for one's own
// agency (where two agencies share a mail domain), after which the dispute took outcomes "by" that
// person from the wrong agency; and a board officer's change skipped the domain and officer checks.

const RAISER = 'pat.raiser@rotherham-asc.example.org';
const NHS_PRACTITIONER = 'robin.other@rotherham-nhs.example.org';
const MANAGER = officerOf('rotherham-rsab', 'board-manager');
const CHAIR = officerOf('rotherham-rsab', 'chair');

/**
 * The council's adult social care also mails from the trust's domain, in a dispute started before
 * a start had to name one of the directory's people for the trust there (its practitioner is not).
 */
function sharedDomain(start: DisputeStart) {
  const asc = start.parties.find((party) => party.agency.id === 'rotherham-asc')!.agency;
  asc.emailDomains = [...asc.emailDomains!, 'rotherham-nhs.example.org'];
}

const change = (by: string, agencyId: string, email: string) => ({ agencyId, stage: 2, contacts: [{ name: 'Someone', email }], by, reason: 'Covering.' });

/** Nothing about the dispute's contacts changed. */
function unchanged(dispute: ReturnType<typeof drive>) {
  expect(dispute.procedure.state.overrides).toEqual({});
  expect(dispute.procedure.state.events.filter((event) => event.type === 'contact-changed')).toEqual([]);
}

describe('a contact change never names another party’s person', () => {
  it('where the agencies share a mail domain, the council cannot name the trust’s practitioner or the trust’s stage-2 contact as its own', () => {
    const dispute = drive('rotherham', {}, { started: sharedDomain });
    for (const [address, index] of [
      [NHS_PRACTITIONER, 0],
      [tierOf('rotherham-nhs', 2)[0]!, 0],
    ] as const) {
      const refused = refusal(() => dispute.send('changeContact', change(RAISER, 'rotherham-asc', address)));
      expect(refused.type).toBe(RejectionType.notAParty);
      expect(refused.message).toMatch(new RegExp(`^contacts\\.${index}\\.email: ${address.replace(/\./g, '\\.')} is one of Rotherham Hospitals.*'s people in this dispute`));
    }
    // Nor second in a list.
    const second = { ...change(RAISER, 'rotherham-asc', 'dee.puty@rotherham-nhs.example.org'), contacts: [{ name: 'Dee', email: 'dee.puty@rotherham-nhs.example.org' }, { name: 'Robin', email: NHS_PRACTITIONER }] };
    expect(refusal(() => dispute.send('changeContact', second)).message).toMatch(/^contacts\.1\.email: /);
    unchanged(dispute);
    // An address at the shared domain that is nobody's yet is the council's to name.
    dispute.send('changeContact', change(RAISER, 'rotherham-asc', 'dee.puty@rotherham-nhs.example.org'));
    expect(dispute.procedure.state.overrides['rotherham-asc']?.[2]?.map((contact) => contact.email)).toEqual(['dee.puty@rotherham-nhs.example.org']);
    // …and once it is, the trust cannot take it back as its own.
    expect(refusal(() => dispute.send('changeContact', change(NHS_PRACTITIONER, 'rotherham-nhs', 'dee.puty@rotherham-nhs.example.org'))).message).toMatch(/is one of Rotherham Council.*'s people/);
  });

  it('a board officer changes any agency’s contacts, but only to that agency’s own addresses, never an officer’s', () => {
    const dispute = drive('rotherham');
    const foreign = refusal(() => dispute.send('changeContact', change(MANAGER, 'rotherham-asc', 'dee.puty@rotherham-nhs.example.org')));
    expect(foreign.type).toBe(RejectionType.notAParty);
    expect(foreign.message).toMatch(/^contacts\.0\.email: dee\.puty@rotherham-nhs\.example\.org is not an address of Rotherham Council/);
    expect(refusal(() => dispute.send('changeContact', change(MANAGER, 'rotherham-asc', CHAIR))).message).toMatch(/^contacts\.0\.email: a board officer's address cannot be an agency's contact/);
    expect(refusal(() => dispute.send('changeContact', change(MANAGER, 'rotherham-asc', NHS_PRACTITIONER))).message).toMatch(/^contacts\.0\.email: /);
    unchanged(dispute);
    dispute.send('changeContact', change(MANAGER, 'rotherham-asc', 'dee.puty@rotherham-asc.example.org'));
    expect(dispute.procedure.state.events.filter((event) => event.type === 'contact-changed')).toEqual([expect.objectContaining({ by: MANAGER, agencyId: 'rotherham-asc', contacts: ['dee.puty@rotherham-asc.example.org'] })]);
  });

  it('a dispute that took such a change before the rule (its replay answers no) takes it again; the rule is asked only when it would refuse', () => {
    const asked: number[] = [];
    const firstRules = { ...currentRules, ownAgencyOnly: () => (asked.push(1), false) };
    const dispute = drive('rotherham', {}, { rules: firstRules });
    dispute.send('changeContact', change(MANAGER, 'rotherham-nhs', 'nia.deputy@rotherham-nhs.example.org'));
    expect(asked).toEqual([]);
    dispute.send('changeContact', change(MANAGER, 'rotherham-asc', 'dee.puty@rotherham-nhs.example.org'));
    expect(asked.length).toBeGreaterThan(0);
    // The agency's own people were held to its domains and away from officers from the start.
    expect(refusal(() => dispute.send('changeContact', change(RAISER, 'rotherham-asc', CHAIR))).type).toBe(RejectionType.notAParty);
  });
});
