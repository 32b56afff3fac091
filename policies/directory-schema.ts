import { z } from 'zod';
import { Contact, Slug } from './schema';

// Who is who: each agency's escalation route and the named people at each stage, and each
// board's officers. Deployment data, validated like a policy. Pure: the workflow imports it, so only
// what a dispute carries is here (the directory file's own schema is in directory.ts, which loads
// it): each schema built here is built again for every dispute a worker loads.

export const AgencyType = z.enum([
  'adult-social-care',
  'gp-practice',
  'acute-hospital-trust',
  'mental-health',
  'police',
  'voluntary-sector',
  'community-health',
  'probation',
]);

/** A mail domain an agency's people have addresses in, e.g. `rotherham.gov.uk`; lower case. */
export const EmailDomain = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a lower-case mail domain such as rotherham.gov.uk');

/** The domain of an address, lower case. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export const Agency = z.object({
  id: Slug,
  name: z.string().min(1),
  type: AgencyType,
  /**
   * The mail domains of the agency's own people: an agency may name as its contacts only addresses
   * in these. Required in a directory; optional here because disputes started before it was added
   * carry agency snapshots without it.
   */
  emailDomains: z.array(EmailDomain).min(1).optional(),
  boards: z.array(Slug).min(1),
  /** The agency's escalation route, lowest first, as its board lists it (e.g. NSAB Appendix 2). */
  route: z.array(z.string().min(1)).min(2),
  tiers: z
    .array(z.object({ stage: z.number().int().min(1), role: z.string().min(1), contacts: z.array(Contact).min(1) }))
    .min(1),
  designatedSafeguardingLead: Contact,
  boardRepresentative: Contact,
});
export type Agency = z.infer<typeof Agency>;

/** The addresses the directory names for an agency's people (lower case): its tiers' contacts, its safeguarding lead, its board representative. */
export function directoryPeople(agency: Agency): string[] {
  return [...agency.tiers.flatMap((tier) => tier.contacts), agency.designatedSafeguardingLead, agency.boardRepresentative].map((contact) => contact.email.toLowerCase());
}
