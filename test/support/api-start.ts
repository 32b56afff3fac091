// The body of `POST /disputes` the API tests start a Rotherham dispute with: the two usual agencies, concern now.
export const RAISER = 'pat.raiser@rotherham-asc.example.org';

export function rotherhamStart(personReference: string, summary: string) {
  return {
    policy: 'rotherham-rsab',
    concernAt: new Date().toISOString(),
    category: 'neglect',
    agencies: [
      { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: RAISER } },
      { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
    ],
    personReference,
    summary,
  };
}
