import { checkDecisionToken, readDecisionToken, type DecisionClaim, type TokenPurpose } from '../../runtime/decision-token';
import { boardOfficerContacts } from '../disputes';
import type { Accepted } from '../../workflows/dispute/messages';
import { OutcomeInput, type DisputeView } from '../../workflows/dispute/model';
import { act, DisputeFailure, readDispute, UpdateLimitReached, type Disputes } from '../operations';

// A decision given from an email, by reply or by link: the token says who was asked about which
// stage; the dispute says whether that still stands. Every refusal says why, in plain words.

export type Refusal =
  | 'malformed'
  | 'forged'
  | 'not-addressee'
  | 'expired'
  | 'no-dispute'
  | 'closed'
  | 'limit-reached'
  | 'stage-passed'
  | 'used'
  | 'no-decision'
  | 'no-text'
  | 'too-long'
  | 'not-allowed'
  | 'boards-outcome'
  | 'not-a-party'
  | 'unverified';

export type Refused = { ok: false; refusal: Refusal; message: string; disputeId?: string };

export type DecisionResult = { ok: true; claim: DecisionClaim; accepted: Accepted; decision: 'resolved' | 'unresolved' | 'decided' } | Refused;

/** The workflow's cap on agreed actions and reasons, read from its schema so the two never differ. */
const maxDecisionText = OutcomeInput.shape.agreedActions.unwrap().maxLength ?? 4000;

export const refusalWords: Record<Refusal, string> = {
  malformed: 'The reply address or link is not one this service issued, so nothing was recorded.',
  forged: 'The reply address or link has been altered, or was not issued by this service, so nothing was recorded.',
  'not-addressee': 'Only the person the email was sent to can answer it, from the address it was sent to. Nothing was recorded.',
  expired: 'This reply address or link has expired. Nothing was recorded; use your case system or ask the board manager.',
  'no-dispute': 'There is no such dispute. Nothing was recorded.',
  closed: 'The dispute is already closed. Nothing was recorded.',
  'limit-reached':
    'This dispute has taken the most messages the service can record for one dispute, so nothing more can be recorded on it, by email, link or case system. It is not closed. Nothing was recorded; contact the board’s officers, who can take it forward.',
  'stage-passed': 'That stage has already passed, so a decision for it can no longer be recorded. Nothing was recorded.',
  used: 'This decision has already been recorded. Nothing more was changed.',
  'no-decision': 'The first line of the reply must be RESOLVED or UNRESOLVED (or, at the board’s stage, REPRESENTATION). Nothing was recorded.',
  'no-text': 'A resolution needs the agreed actions, and "unresolved" needs the reason, below the first line. Nothing was recorded.',
  'too-long': `The agreed actions or the reason can be at most ${maxDecisionText.toLocaleString('en-GB')} characters. Nothing was recorded; shorten them (or record them in your case system) and answer again.`,
  'not-allowed': 'The procedure does not allow that decision at this stage. Nothing was recorded.',
  'boards-outcome': 'The outcome of the last stage is the board’s to record, not a disputing agency’s. Nothing was recorded.',
  'not-a-party':
    'Only each disputing agency’s contact at the board’s stage makes its written representation. Nothing was recorded.',
  unverified:
    'Your reply could not be verified as sent from your address (its domain did not vouch for it by DKIM or SPF, as DMARC requires), so nothing was recorded. Reply from your usual mail system, or use the link in the email.',
};

const refuse = (refusal: Refusal, detail?: string, disputeId?: string): Refused => ({
  ok: false,
  refusal,
  message: detail ? `${refusalWords[refusal]} (${detail})` : refusalWords[refusal],
  ...(disputeId ? { disputeId } : {}),
});

/**
 * Everyone who may have been sent a decision email for this dispute: its agencies' people, its
 * board's officers (from the directory, or only in the policy) and every panel member it recorded.
 */
export function peopleOf(disputes: Pick<Disputes, 'context'>, view: DisputeView): string[] {
  const { directory, policies } = disputes.context;
  const policy = policies.find(view.policy.id, view.policy.version);
  const officers = [...Object.values(directory.boards[view.board]?.officers ?? {}), ...(policy ? Object.values(boardOfficerContacts(policy, directory)) : [])];
  const panel = view.events.flatMap((event) => (event.type === 'convened' ? (event.members ?? []) : []));
  return [...new Set([...view.agencies.flatMap((agency) => agency.people), ...officers.map((officer) => officer.email), ...panel].map((address) => address.toLowerCase()))];
}

/**
 * Who a link's token was issued to, found among the dispute's people: a link carries no address,
 * and the token's signature covers it, so the dispute is read before the signature can be checked.
 * A token naming a workflow that is not a dispute reads as no dispute.
 */
export async function linkHolder(
  disputes: Disputes,
  secret: string,
  token: string,
  now: number,
  purpose: TokenPurpose = 'decision',
): Promise<{ ok: true; claim: DecisionClaim; view: DisputeView } | Refused> {
  const reading = readDecisionToken(token, purpose);
  if (!reading.ok) return refuse(reading.reason);
  let view: DisputeView;
  try {
    view = await readDispute(disputes, reading.claim.disputeId);
  } catch (error) {
    if (error instanceof DisputeFailure && error.kind === 'not-found') return refuse('forged');
    throw error;
  }
  let expired = false;
  for (const person of peopleOf(disputes, view)) {
    const check = checkDecisionToken(secret, token, person, now, purpose);
    if (check.ok) return { ok: true, claim: check.claim, view };
    if (check.reason === 'expired') expired = true;
  }
  return refuse(expired ? 'expired' : 'forged', undefined, reading.claim.disputeId);
}

/** Whether the dispute still takes this person's decision for the token's stage. */
export function standing(view: DisputeView, claim: DecisionClaim): Refused | null {
  const used = view.events.some((event) => event.type === 'outcome' && event.stage === claim.stage && event.by?.toLowerCase() === claim.recipient);
  if (used) return refuse('used', undefined, view.disputeId);
  if (view.status !== 'open') return refuse('closed', `it is ${view.status}`, view.disputeId);
  if (view.stage !== claim.stage) {
    return refuse('stage-passed', `the email was about stage ${claim.stage}; the dispute is now at stage ${view.stage}`, view.disputeId);
  }
  return null;
}

/** Records the decision for a checked claim. `requestId` makes a repeat (a re-polled reply) apply once. */
export async function recordDecision(
  disputes: Disputes,
  view: DisputeView,
  claim: DecisionClaim,
  word: 'resolved' | 'unresolved',
  text: string,
  options: { safetyMeasuresConfirmed?: boolean; requestId?: string } = {},
): Promise<DecisionResult> {
  const refused = standing(view, claim);
  if (refused) return refused;
  if (!text.trim()) return refuse('no-text', undefined, view.disputeId);
  // Caught here, not by the workflow's schema, whose refusal would read as the procedure's.
  const length = text.trim().length;
  if (length > maxDecisionText) return refuse('too-long', `yours has ${length.toLocaleString('en-GB')}`, view.disputeId);
  const policy = disputes.context.policies.find(view.policy.id, view.policy.version);
  const last = policy ? Math.max(...policy.stages.map((stage) => stage.stage)) : Number.POSITIVE_INFINITY;
  // At the last stage there is nobody higher: "resolved" there is the board's outcome, which only
  // those its policy names may record; the dispute refuses anyone else, saying who may.
  const decision = word === 'resolved' && view.stage === last ? 'decided' : word;
  try {
    const accepted = await act(
      disputes,
      claim.disputeId,
      'recordOutcome',
      {
        stage: claim.stage,
        decision,
        by: claim.recipient,
        ...(word === 'resolved' ? { agreedActions: text.trim() } : { reason: text.trim() }),
        ...(options.safetyMeasuresConfirmed ? { safetyMeasuresConfirmed: true } : {}),
      },
      options.requestId,
    );
    return { ok: true, claim, accepted, decision };
  } catch (error) {
    if (!(error instanceof DisputeFailure)) throw error;
    if (error.kind === 'conflict') return conflictRefusal(error, claim.disputeId);
    if (error.kind === 'forbidden' && /may not record the outcome of stage/.test(error.message)) return refuse('boards-outcome', error.message, claim.disputeId);
    if (error.kind === 'forbidden') return refuse('not-addressee', error.message, claim.disputeId);
    return refuse('not-allowed', error.message, claim.disputeId);
  }
}

export type RepresentationResult = { ok: true; claim: DecisionClaim; accepted: Accepted } | Refused;

/**
 * Records a party's written representation to the board for a checked claim. The dispute decides
 * who may make one (each agency's last-stage contact); a refusal says why and changes nothing.
 */
export async function recordRepresentation(
  disputes: Disputes,
  view: DisputeView,
  claim: DecisionClaim,
  text: string,
  options: { requestId?: string } = {},
): Promise<RepresentationResult> {
  if (view.status !== 'open') return refuse('closed', `it is ${view.status}`, view.disputeId);
  if (view.stage !== claim.stage) {
    return refuse('stage-passed', `the email was about stage ${claim.stage}; the dispute is now at stage ${view.stage}`, view.disputeId);
  }
  if (!text.trim()) return refuse('no-text', 'a representation needs its text below the first line', view.disputeId);
  try {
    const accepted = await act(disputes, claim.disputeId, 'submitRepresentation', { by: claim.recipient, text: text.trim() }, options.requestId);
    return { ok: true, claim, accepted };
  } catch (error) {
    if (!(error instanceof DisputeFailure)) throw error;
    if (error.kind === 'conflict') return conflictRefusal(error, claim.disputeId);
    if (error.kind === 'forbidden') return refuse('not-a-party', error.message, claim.disputeId);
    return refuse('not-allowed', error.message, claim.disputeId);
  }
}

/** A conflict from the dispute: Temporal's update limit reached (it is not closed), the stage passed, or the dispute closed. */
function conflictRefusal(error: DisputeFailure, disputeId: string): Refused {
  if (error instanceof UpdateLimitReached) return refuse('limit-reached', undefined, disputeId);
  return refuse(/not current/.test(error.message) ? 'stage-passed' : 'closed', error.message, disputeId);
}
