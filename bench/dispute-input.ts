import type { NewDispute } from '../client/disputes';

// The one Rotherham dispute every benchmark starts (through the API or the client): two parties,
// no personal data beyond fixed placeholders, so the figures compare like with like.
export function benchDispute(concernAt: string, options: { policy?: string; category?: NewDispute['category']; risk?: NewDispute['risk'] } = {}): NewDispute {
  return {
    policy: options.policy ?? 'rotherham-rsab',
    concernAt,
    category: options.category ?? 'neglect',
    ...(options.risk ? { risk: options.risk } : {}),
    agencies: [
      { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: 'pat.raiser@rotherham-asc.example.org' } },
      { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
    ],
    personReference: 'BENCH',
    summary: 'Benchmark dispute.',
  };
}
