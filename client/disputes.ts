import { randomInt } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { formatLondon } from '../policies/calendar';
import { calendarConfigFor, loadHolidaySources, type HolidaySources } from '../policies/calendar/sources';
import { agenciesOfBoard, loadDirectory, type Directory } from '../policies/directory';
import { directoryPeople, domainOf, type Agency } from '../policies/directory-schema';
import { PolicyRegistry } from '../policies/load';
import type { Config } from '../runtime/config';
import { Category, Contact, Risk, type Policy } from '../policies/schema';
import { describeIssues } from '../runtime/errors';
import { DisputeStart, type DisputeRecord } from '../workflows/dispute/model';
import type { DisputePreviewInput } from '../workflows/dispute/preview';
import { DisputeAgencies, DisputeBoard, DisputePolicy, DisputeRisk, DisputeStage, DisputeStatus } from '../workflows/search-attributes';

// Starting a dispute: what a caller says, checked against the policy and the agency directory,
// turned into the workflow's start input (a snapshot: later edits never change a running dispute).

export const NewDispute = z.object({
  policy: z.string().min(1),
  policyVersion: z.number().int().min(1).optional(),
  concernAt: z.iso.datetime({ offset: true }),
  category: Category,
  risk: Risk.default('standard'),
  /** Raising agency first. */
  agencies: z.array(z.object({ agencyId: z.string().min(1), practitioner: Contact })).min(2),
  personReference: z.string().trim().min(1).max(64),
  summary: z.string().trim().min(1).max(2000),
  startStage: z.number().int().min(1).optional(),
  safeguardingPlanLead: Contact.optional(),
});
export type NewDispute = z.input<typeof NewDispute>;

export class DisputeInputError extends Error {
  override name = 'DisputeInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface DisputeContext {
  policies: PolicyRegistry;
  directory: Directory;
  holidays: HolidaySources;
}

/** The policies, agency directory and holiday sources a deployment's configuration names. */
export function disputeContext(config: Config): DisputeContext {
  return {
    policies: PolicyRegistry.fromDirectory(config.POLICY_DIR),
    directory: loadDirectory(config.DIRECTORY_FILE),
    holidays: loadHolidaySources({ holidaysFile: config.HOLIDAYS_FILE, feedFile: config.BANK_HOLIDAYS_FEED_FILE }),
  };
}

const alphabet = 'abcdefghjkmnpqrstvwxyz23456789';

/**
 * Board and a short random id, e.g. `rsab-k3m9qz`: readable, unique enough, never a name. A caller
 * that must find the same dispute again (an idempotent start) gives its own suffix.
 */
export function newDisputeId(boardShortName: string, suffix = Array.from({ length: 6 }, () => alphabet[randomInt(alphabet.length)]).join('')): string {
  const board = boardShortName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${board}-${suffix}`;
}

/** How far ahead of our clock a caller's clock may run: a concern "now" on a fast clock is still now. */
export const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** The concern instant must be real: not in the future (beyond clock skew), not older than the policy allows. */
function checkConcernAt(concernAt: string, policy: { concernMaxAgeDays: number; board: { shortName: string } }, now: number): void {
  const at = Date.parse(concernAt);
  if (at > now + CLOCK_SKEW_MS) throw new DisputeInputError(`concernAt: ${concernAt} is in the future; a concern is raised when it arises, not ahead`, 'concernAt');
  const oldest = now - policy.concernMaxAgeDays * DAY_MS;
  if (at < oldest) {
    throw new DisputeInputError(
      `concernAt: ${concernAt} is more than ${policy.concernMaxAgeDays} days ago, the oldest concern ${policy.board.shortName}'s policy takes (from ${new Date(oldest).toISOString()})`,
      'concernAt',
    );
  }
}

/**
 * The workflow's start input for a new dispute. `now` is the clock the concern is checked against:
 * the real one, or a preview's, which starts at the concern.
 */
export function buildDisputeStart(raw: NewDispute, context: DisputeContext, options: { disputeId?: string; now?: number } = {}): DisputeStart {
  const parsed = NewDispute.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new DisputeInputError(describeIssues(parsed.error), first?.path.map(String).join('.') ?? '');
  }
  const input = parsed.data;
  const policy = context.policies.find(input.policy, input.policyVersion);
  if (!policy) throw new DisputeInputError(`unknown policy '${input.policy}'`, 'policy');
  checkConcernAt(input.concernAt, policy, options.now ?? Date.now());
  const agencies = agenciesOfBoard(context.directory, policy.board.id);
  const parties = input.agencies.map(({ agencyId, practitioner }, index) => {
    const agency = agencies.find((candidate) => candidate.id === agencyId);
    if (!agency) throw new DisputeInputError(`agency '${agencyId}' is not an agency of ${policy.board.name}`, `agencies.${index}.agencyId`);
    return { agency, practitioner };
  });
  if (new Set(parties.map((party) => party.agency.id)).size !== parties.length) {
    throw new DisputeInputError('each agency may appear once', 'agencies');
  }
  if (input.startStage !== undefined) {
    if (!policy.imminentRisk.chooseStartStage || input.risk !== 'imminent') {
      throw new DisputeInputError(`${policy.board.shortName}'s policy lets the raiser choose the starting stage only at imminent risk`, 'startStage');
    }
    if (!policy.stages.some((stage) => stage.stage === input.startStage)) {
      throw new DisputeInputError(`the policy has no stage ${input.startStage}`, 'startStage');
    }
  }
  const officers = boardOfficerContacts(policy, context.directory);
  checkPractitioners(parties, officers, context.directory);
  if (input.safeguardingPlanLead) checkPlanLead(input.safeguardingPlanLead, agencies);
  const start = {
    disputeId: options.disputeId ?? newDisputeId(policy.board.shortName),
    policy,
    calendar: calendarConfigFor(policy.board.division, context.holidays),
    officers,
    concernAt: input.concernAt,
    category: input.category,
    risk: input.risk,
    parties,
    personReference: input.personReference,
    summary: input.summary,
    ...(input.startStage !== undefined ? { startStage: input.startStage } : {}),
    ...(input.safeguardingPlanLead ? { safeguardingPlanLead: input.safeguardingPlanLead } : {}),
  };
  const checked = DisputeStart.safeParse(start);
  if (!checked.success) throw new DisputeInputError(describeIssues(checked.error), checked.error.issues[0]?.path.join('.') ?? '');
  return checked.data;
}

/** The policy's officers, by id, at the directory's address for them, else the address the policy publishes. */
export function boardOfficerContacts(policy: Policy, directory: Directory): Record<string, Contact> {
  const boardOfficers = directory.boards[policy.board.id]?.officers ?? {};
  return Object.fromEntries(
    Object.entries(policy.officers).flatMap(([id, officer]) => {
      const contact = boardOfficers[id] ?? (officer.email ? { name: officer.title, email: officer.email, title: officer.title } : undefined);
      return contact ? [[id, contact]] : [];
    }),
  );
}

/**
 * Each practitioner is one of their own agency's people (an address in its mail domains), never a
 * board officer nor another party's person (its practitioner here, or one the directory names for
 * it, where agencies share a mail domain): the practitioner gets the stage-1 emails and may decide
 * by reply or link, so a raiser that named another agency's person as its own would speak in that
 * agency's name, and a mistyped domain would send the person's details outside the agencies.
 */
function checkPractitioners(parties: { agency: DisputeStart['parties'][number]['agency']; practitioner: Contact }[], officers: Record<string, Contact>, directory: Directory): void {
  const officerAddresses = new Set(Object.values(officers).map((officer) => officer.email.toLowerCase()));
  parties.forEach(({ agency, practitioner }, index) => {
    const field = `agencies.${index}.practitioner.email`;
    const address = practitioner.email.toLowerCase();
    if (officerAddresses.has(address)) throw new DisputeInputError(`${field}: a board officer's address cannot be an agency's practitioner`, field);
    if (agency.emailDomains && !agency.emailDomains.includes(domainOf(address))) {
      throw new DisputeInputError(`${field}: ${address} is not an address of ${agency.name} (${agency.emailDomains.join(', ')})`, field);
    }
    const other = parties.find((party, at) => at !== index && (party.practitioner.email.toLowerCase() === address || directoryPeople(party.agency).includes(address)));
    if (other) throw new DisputeInputError(`${field}: ${address} is one of ${other.agency.name}'s people, not ${agency.name}'s`, field);
    if (index > 0) checkAtSharedDomain(agency, address, directory, field);
  });
}

/**
 * Another agency's practitioner at a mail domain it shares (nhs.net) is one of the people the
 * directory lists for it: the domain cannot say whose person an unlisted address is, so the raiser
 * could name a colleague of its own, who would get that agency's decision links and decide in its
 * name. The raising agency's own practitioner is the raiser's to name: it speaks for itself.
 */
function checkAtSharedDomain(agency: Agency, address: string, directory: Directory, field: string): void {
  const domain = domainOf(address);
  const shared = directory.agencies.some((other) => other.id !== agency.id && other.emailDomains?.includes(domain));
  if (shared && !directoryPeople(agency).includes(address)) {
    throw new DisputeInputError(
      `${field}: ${domain} is a mail domain ${agency.name} shares with another agency, so only its people listed in the directory (its contacts at each stage, safeguarding lead or board representative) may be named as its practitioner, and ${address} is not one of them`,
      field,
    );
  }
}

/** The plan's lead is told of the dispute (CWAC stage 2): someone at one of the board's agencies, never an outside address. */
function checkPlanLead(lead: Contact, agencies: DisputeStart['parties'][number]['agency'][]): void {
  const field = 'safeguardingPlanLead.email';
  const domains = new Set(agencies.flatMap((agency) => agency.emailDomains ?? []));
  if (!domains.has(domainOf(lead.email))) throw new DisputeInputError(`${field}: ${lead.email.toLowerCase()} is not an address of any of the board's agencies`, field);
}

export function startDispute(
  client: Client,
  taskQueue: string,
  start: DisputeStart,
  options: { memo?: Record<string, string> } = {},
): Promise<WorkflowHandle<(input: DisputeStart) => Promise<DisputeRecord>>> {
  return client.workflow.start<(input: DisputeStart) => Promise<DisputeRecord>>('dispute', { ...startOptions(start, options), taskQueue, args: [start] });
}

/**
 * A preview (`dispute simulate`, the time-skipping tests): the dispute on a clock shifted by
 * `clockOffsetMs`, as the workflow type only a preview worker registers (workflows/preview.ts).
 */
export function startPreviewDispute(
  client: Client,
  taskQueue: string,
  start: DisputeStart,
  clockOffsetMs: number,
): Promise<WorkflowHandle<(input: DisputePreviewInput) => Promise<DisputeRecord>>> {
  return client.workflow.start<(input: DisputePreviewInput) => Promise<DisputeRecord>>('disputePreview', {
    ...startOptions(start),
    taskQueue,
    args: [{ start, clockOffsetMs }],
  });
}

function startOptions(start: DisputeStart, options: { memo?: Record<string, string> } = {}) {
  const { policy } = start;
  return {
    workflowId: start.disputeId,
    // A dispute ID is never used twice, even after the dispute closed: a retried start finds the first.
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    ...(options.memo ? { memo: options.memo } : {}),
    typedSearchAttributes: [
      { key: DisputeBoard, value: policy.board.id },
      { key: DisputePolicy, value: `${policy.id}@${policy.version}` },
      { key: DisputeStage, value: 1 },
      { key: DisputeStatus, value: 'open' },
      { key: DisputeRisk, value: start.risk },
      { key: DisputeAgencies, value: start.parties.map((party) => party.agency.id) },
    ],
    staticSummary: `${policy.board.shortName} dispute ${start.disputeId} (${start.category}, ${start.risk} risk)`,
    staticDetails:
      `**${policy.board.name}** — policy ${policy.id} v${policy.version}\n\n` +
      `Agencies: ${start.parties.map((party, index) => `${party.agency.name}${index === 0 ? ' (raising)' : ''}`).join('; ')}\n\n` +
      `Concern raised: ${formatLondon(new Date(start.concernAt))}`,
  };
}
