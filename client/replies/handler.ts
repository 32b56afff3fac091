import { createHash } from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { ReplyAnswer } from '../../activities/email/answer';
import { checkReplyToken, tokenFromAddress, type DecisionClaim, type ReplyAddressing } from '../../runtime/decision-token';
import type { DisputeView } from '../../workflows/dispute/model';
import { DisputeFailure, readDispute, type Disputes } from '../operations';
import { recordDecision, recordRepresentation, refusalWords, type DecisionResult, type Refusal } from './decide';
import { checkSender, type SenderAuthSettings } from './sender-auth';

// One inbound reply, from the SMTP server or the IMAP poller: matched to the email it answers,
// checked, recorded, and answered. Auto-replies and bounces are answered with nothing, and so is
// mail whose token was not issued to its From address: answering it would send mail to whoever a
// stranger names (backscatter).

export interface ReplySettings {
  secret: string;
  addressing: ReplyAddressing;
  maxBytes: number;
  /** How the sender is proven to be the From address. */
  auth: SenderAuthSettings;
}

export interface InboundMail {
  raw: Buffer;
  /** How it reached us: over SMTP (with the envelope and the client) or read from a mailbox. */
  via: 'smtp' | 'imap';
  envelopeFrom?: string | undefined;
  envelopeTo?: string[] | undefined;
  clientIp?: string | undefined;
  helo?: string | undefined;
}

export type Answer = ReplyAnswer;

export type Handled =
  | { outcome: 'recorded'; disputeId: string; answer: Answer }
  | { outcome: 'refused'; refusal: Refusal | 'too-large' | 'unreadable' | 'unverified'; answer: Answer | null }
  | { outcome: 'ignored'; why: 'auto-reply' | 'no-sender' };

export interface ReplyDeps {
  disputes: Disputes;
  settings: ReplySettings;
  /** Queues the answer to a reply; `replyKey` is the same for every delivery of that reply. */
  answer: (answer: Answer, replyKey: string) => Promise<void>;
  now?: () => number;
  /** One line per reply: the outcome, never the content. */
  log?: (line: string) => void;
}

const decisionLine = /^\s*((?:un)?resolved|representation)\b[\s.:;,!\-–—]*(.*)$/i;

export async function handleReply(deps: ReplyDeps, mail: InboundMail): Promise<Handled> {
  const { handled, replyKey } = await handle(deps, mail);
  deps.log?.(`reply ${handled.outcome}${'refusal' in handled ? ` (${handled.refusal})` : 'why' in handled ? ` (${handled.why})` : ''}`);
  if (handled.outcome !== 'ignored' && handled.answer) await deps.answer(handled.answer, replyKey);
  return handled;
}

async function handle(deps: ReplyDeps, mail: InboundMail): Promise<{ handled: Handled; replyKey: string }> {
  const { settings } = deps;
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(mail.raw.subarray(0, settings.maxBytes * 4));
  } catch {
    return { handled: { outcome: 'ignored', why: 'no-sender' }, replyKey: '' };
  }
  const replyKey = replyKeyOf(parsed.messageId, mail.raw);
  return { handled: await judge(deps, mail, parsed, replyKey), replyKey };
}

/** Every delivery of one reply (same Message-ID) has the same key: it is recorded and answered once. */
export function replyKeyOf(messageId: string | undefined, raw: Buffer): string {
  return createHash('sha256').update(messageId ?? raw).digest('hex').slice(0, 32);
}

async function judge(deps: ReplyDeps, mail: InboundMail, parsed: ParsedMail, replyKey: string): Promise<Handled> {
  const { settings } = deps;
  const sender = parsed.from?.value[0]?.address?.toLowerCase();
  if (!sender) return { outcome: 'ignored', why: 'no-sender' };
  if (isAutomatic(parsed, mail.envelopeFrom, sender)) return { outcome: 'ignored', why: 'auto-reply' };

  const inReplyTo = parsed.messageId;
  const silently = (refusal: Refusal): Handled => ({ outcome: 'refused', refusal, answer: null });
  const refusal = (refusal: Refusal | 'too-large' | 'unreadable' | 'unverified', message: string, disputeId?: string): Handled => ({
    outcome: 'refused',
    refusal,
    answer: { to: sender, subject: subjectFor(disputeId, 'nothing was recorded'), text: explain(message), inReplyTo },
  });

  const token = findToken(settings.addressing, mail, parsed);
  if (!token) return silently('malformed');
  const check = checkReplyToken(settings.secret, token, sender, deps.now?.() ?? Date.now());
  // Only a token signed for the From address makes an answer safe: it goes to someone we wrote to.
  if (!check.ok && check.reason !== 'expired') return silently(check.reason);

  const verified = await checkSender(settings.auth, mail.raw, sender, mail);
  if (!verified.ok) {
    return refusal('unverified', `${refusalWords.unverified} (${verified.why})`, check.claim?.disputeId);
  }
  if (!check.ok) return refusal(check.reason, refusalWords[check.reason], check.claim?.disputeId);
  const { claim } = check;

  if (mail.raw.length > settings.maxBytes) {
    return refusal('too-large', `Your reply is larger than ${Math.round(settings.maxBytes / 1024)} KB, so it was not read. Nothing was recorded. Reply without attachments.`, claim.disputeId);
  }
  if (!parsed.text?.trim() && !parsed.html) return refusal('unreadable', 'Your reply has no text that could be read. Nothing was recorded.', claim.disputeId);
  const { word, text } = readDecision(parsed.text ?? '');
  if (!word) return refusal('no-decision', refusalWords['no-decision'], claim.disputeId);

  if (word === 'representation') return representation(deps, claim, text, sender, inReplyTo, replyKey, refusal);

  let result: DecisionResult;
  try {
    const view = await readDispute(deps.disputes, claim.disputeId);
    const repeat = sameDecisionRecorded(view, claim, word, text);
    // This very reply was recorded before (its answer could not be queued then): confirm it again.
    if (repeat) return recorded(sender, claim, repeat, text, inReplyTo);
    result = await recordDecision(deps.disputes, view, claim, word, text, { requestId: `reply:${replyKey}` });
  } catch (error) {
    if (error instanceof DisputeFailure && error.kind === 'not-found') return refusal('no-dispute', refusalWords['no-dispute'], claim.disputeId);
    throw error;
  }
  if (!result.ok) return refusal(result.refusal, result.message, claim.disputeId);
  return recorded(sender, claim, { decision: result.decision, stageNow: result.accepted.stage }, text, inReplyTo);
}

/** A party's written representation to the board, sent by replying to the board's-stage email. */
async function representation(
  deps: ReplyDeps,
  claim: DecisionClaim,
  text: string,
  sender: string,
  inReplyTo: string | undefined,
  replyKey: string,
  refusal: (refusal: Refusal, message: string, disputeId?: string) => Handled,
): Promise<Handled> {
  try {
    const view = await readDispute(deps.disputes, claim.disputeId);
    // This very reply was recorded before (its answer could not be queued then): confirm it again.
    const repeat = view.events.some((event) => event.type === 'representation' && event.by?.toLowerCase() === claim.recipient && event.text === text.trim());
    if (!repeat) {
      const result = await recordRepresentation(deps.disputes, view, claim, text, { requestId: `reply:${replyKey}` });
      if (!result.ok) return refusal(result.refusal, result.message, claim.disputeId);
    }
  } catch (error) {
    if (error instanceof DisputeFailure && error.kind === 'not-found') return refusal('no-dispute', refusalWords['no-dispute'], claim.disputeId);
    throw error;
  }
  return {
    outcome: 'recorded',
    disputeId: claim.disputeId,
    answer: {
      to: sender,
      subject: subjectFor(claim.disputeId, 'recorded: representation'),
      text: `Your written representation to the board has been recorded for stage ${claim.stage} and sent to the panel.\n\nRepresentation:\n${text.trim()}\n`,
      inReplyTo,
    },
  };
}

type Recorded = { decision: 'resolved' | 'unresolved' | 'decided'; stageNow: number };

function recorded(sender: string, claim: DecisionClaim, what: Recorded, text: string, inReplyTo: string | undefined): Handled {
  const line = what.decision === 'unresolved' ? `unresolved at stage ${claim.stage}; the dispute is now at stage ${what.stageNow}` : `${what.decision} at stage ${claim.stage}`;
  return {
    outcome: 'recorded',
    disputeId: claim.disputeId,
    answer: {
      to: sender,
      subject: subjectFor(claim.disputeId, `recorded: ${what.decision}`),
      text: `Your decision has been recorded: ${line}.\n\n${what.decision === 'unresolved' ? 'Reason' : 'Agreed actions'}:\n${text.trim()}\n`,
      inReplyTo,
    },
  };
}

/** The outcome this person already recorded for this stage with these very words, if any. */
function sameDecisionRecorded(view: DisputeView, claim: DecisionClaim, word: 'resolved' | 'unresolved', text: string): Recorded | null {
  for (const event of view.events) {
    if (event.type !== 'outcome' || event.stage !== claim.stage || event.by?.toLowerCase() !== claim.recipient) continue;
    const sameWord = word === 'unresolved' ? event.decision === 'unresolved' : event.decision === 'resolved' || event.decision === 'decided';
    if (sameWord && (event.reason ?? event.agreedActions) === text.trim()) return { decision: event.decision, stageNow: view.stage };
  }
  return null;
}

/** Subjects carry the dispute reference only; never the subject the sender wrote (it may name the person). */
function subjectFor(disputeId: string | undefined, what: string): string {
  return disputeId ? `Dispute ${disputeId} — your reply: ${what}` : `Your email to the disputes service: ${what}`;
}

function explain(message: string): string {
  return `${message}\n\nThis is an automatic answer from the safeguarding disputes service.\n`;
}

/**
 * The token from our reply address, wherever the reply names it. Never from In-Reply-To or
 * References: whoever is in the thread has those (emails sent before Message-IDs stopped carrying
 * the token had it there), so a reply that lost the plus-part is not matched.
 */
function findToken(addressing: ReplyAddressing, mail: InboundMail, parsed: ParsedMail): string | null {
  const headerAddresses = [parsed.to, parsed.cc]
    .flatMap((field) => (field ? (Array.isArray(field) ? field : [field]) : []))
    .flatMap((field) => field.value.map((value) => value.address ?? ''));
  const deliveredTo = [parsed.headers.get('delivered-to'), parsed.headers.get('x-original-to')].flat().map(String);
  for (const address of [...(mail.envelopeTo ?? []), ...deliveredTo, ...headerAddresses]) {
    const token = tokenFromAddress(addressing, address);
    if (token) return token;
  }
  return null;
}

/** Auto-replies, out-of-office notices and bounces (RFC 3834 and the usual signs): never answered. */
function isAutomatic(parsed: ParsedMail, envelopeFrom: string | undefined, sender: string): boolean {
  const header = (name: string) => String(parsed.headers.get(name) ?? '').toLowerCase();
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (parsed.headers.has('x-autoreply') || parsed.headers.has('x-autorespond') || parsed.headers.has('x-auto-response')) return true;
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(header('precedence'))) return true;
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (contentType?.value === 'multipart/report') return true;
  if (envelopeFrom !== undefined && (envelopeFrom === '' || envelopeFrom === '<>')) return true;
  return /^(mailer-daemon|postmaster)@/i.test(sender);
}

/** The decision word (or REPRESENTATION) on the first line of the unquoted reply, and the text that follows it. */
export function readDecision(body: string): { word: 'resolved' | 'unresolved' | 'representation' | null; text: string } {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const own: string[] = [];
  for (const line of lines) {
    if (/^\s*>/.test(line) || /^On .{1,200} wrote:\s*$/.test(line) || /^-{2,}\s*Original Message/i.test(line) || /^_{5,}\s*$/.test(line) || /^From: .+/.test(line) || line === '-- ') break;
    own.push(line);
  }
  const first = own.findIndex((line) => line.trim() !== '');
  if (first < 0) return { word: null, text: '' };
  const match = decisionLine.exec(own[first]!);
  if (!match) return { word: null, text: '' };
  const text = [match[2] ?? '', ...own.slice(first + 1)].join('\n').trim();
  return { word: match[1]!.toLowerCase() as 'resolved' | 'unresolved' | 'representation', text };
}
