import { createHash } from 'node:crypto';
import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import type { Contact } from '../../policies/schema';
import { expiryDay, replyAddress, signDecisionToken, type ReplyAddressing } from '../../runtime/decision-token';
import { renderEmail, type AnswerWay, type DecisionWays } from './templates';
import { eachBounded, MAX_CONNECTIONS, pooledMailTransport, relayOptions, releaseMail } from './transport';
import type { EmailBatch, EmailBatchResult } from './types';

export interface MailSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  password?: string | undefined;
  from: string;
  /** The right-hand side of Message-IDs, e.g. the deployment's mail domain. */
  messageIdDomain: string;
  /** With these, decision emails carry a signed Reply-To and decision links. */
  decisions?: DecisionSettings | undefined;
}

export interface DecisionSettings {
  secret: string;
  addressing: ReplyAddressing;
  /** The API's public base URL, for the decision links. */
  linkBase: string;
  ttlDays: number;
}

/**
 * The same (dispute, stage, kind, sequence, recipient) always gives the same Message-ID, whichever
 * attempt sends it. It never carries the decision token: mail clients copy Message-IDs into the
 * In-Reply-To and References of every reply in the thread, including replies to other people.
 */
export function messageIdFor(batch: EmailBatch, recipient: string, domain: string): string {
  const who = createHash('sha256').update(recipient.toLowerCase()).digest('hex').slice(0, 16);
  const { disputeId, stage } = batch.facts;
  return `<${disputeId}.s${stage}.${batch.kind}.${batch.sequence}.${who}@${domain}>`;
}

/**
 * The ways one recipient of a decision email answers it: the signed Reply-To and links. Each has its
 * own token: a reply with Cc, or a reply to all, puts the Reply-To address in other people's hands,
 * and a link needs nothing but its token, whereas a reply needs the addressee's own verified address.
 */
function decisionWays(settings: DecisionSettings, batch: EmailBatch, recipient: string): DecisionWays {
  // Expiry counts from when the email was first scheduled, so every retry sends the same tokens.
  const claim = {
    disputeId: batch.facts.disputeId,
    stage: batch.facts.stage,
    recipient,
    expiresDay: expiryDay(activityInfo().scheduledTimestampMs, settings.ttlDays),
  };
  const link = signDecisionToken(settings.secret, claim, 'decision');
  const base = settings.linkBase.replace(/\/$/, '');
  return {
    replyTo: replyAddress(settings.addressing, signDecisionToken(settings.secret, claim, 'reply')),
    links: {
      resolved: `${base}/decisions/${link}/resolved`,
      unresolved: `${base}/decisions/${link}/unresolved`,
      ...(batch.facts.asksForRepresentation ? { representation: `${base}/decisions/${link}/representation` } : {}),
      ...(batch.facts.asksForRationale ? { rationale: `${base}/decisions/${link}/rationale` } : {}),
    },
  };
}

/** The link answering a closed dispute's form question: a token for that purpose only, good until the dispute stops waiting. */
function answerWay(settings: DecisionSettings, batch: EmailBatch, recipient: string): AnswerWay {
  const until = Date.parse(batch.facts.question!.until);
  const token = signDecisionToken(settings.secret, { disputeId: batch.facts.disputeId, stage: batch.facts.stage, recipient, expiresDay: expiryDay(until, 1) }, 'answer');
  return { link: `${settings.linkBase.replace(/\/$/, '')}/answers/${token}` };
}

/** SMTP's permanent failures (5xx): retrying will not help, so the address is recorded as rejected. */
function isPermanent(error: unknown): error is { responseCode: number; response?: string; message: string } {
  const code = (error as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** An SMTP transport for the configured relay: the escalation emails and the answers to replies go through it. */
export function mailTransport(settings: MailSettings) {
  return nodemailer.createTransport(relayOptions(settings));
}

function transientReason(error: unknown): string {
  const { responseCode, code, command } = (error ?? {}) as { responseCode?: unknown; code?: unknown; command?: unknown };
  const parts = [typeof responseCode === 'number' ? String(responseCode) : null, typeof code === 'string' ? code : null, typeof command === 'string' ? `at ${command.split(' ')[0]}` : null];
  return `SMTP transient failure (${parts.filter(Boolean).join(', ') || 'no reply'})`;
}

export function createEmailActivities(settings: MailSettings) {
  const transport = pooledMailTransport(settings);

  /** Sends one message of a batch; a permanent refusal is returned, a transient failure thrown. */
  async function sendOne(batch: EmailBatch, recipient: Contact): Promise<'sent' | { rejected: string }> {
    // A party asked for its representation to the board answers the same way: by reply or by link.
    const decision = (batch.facts.asksForDecision || batch.facts.asksForRepresentation || batch.facts.asksForRationale) && settings.decisions ? decisionWays(settings.decisions, batch, recipient.email) : undefined;
    const answer = batch.facts.question && settings.decisions ? answerWay(settings.decisions, batch, recipient.email) : undefined;
    const email = renderEmail(batch, recipient.name, decision, answer);
    try {
      await transport.sendMail({
        from: settings.from,
        to: { name: recipient.name, address: recipient.email },
        ...(decision ? { replyTo: decision.replyTo } : {}),
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: messageIdFor(batch, recipient.email, settings.messageIdDomain),
        headers: { 'X-Dispute-Id': batch.facts.disputeId, 'X-Dispute-Stage': String(batch.facts.stage), 'Auto-Submitted': 'auto-generated' },
      });
      return 'sent';
    } catch (error) {
      // Transient: the activity is retried with backoff. The failure goes into history and the
      // worker's log, so it names the SMTP code only: server replies often quote the address.
      if (!isPermanent(error)) throw ApplicationFailure.retryable(transientReason(error), 'SmtpTransient');
      return { rejected: (error.response ?? error.message).slice(0, 300) };
    }
  }

  /**
   * Sends every message of these batches, at most MAX_CONNECTIONS at once. `progress[i]` is batch
   * i's result so far (from the last heartbeat): those already sent or refused are not sent again.
   * Each message done is heartbeaten (and every 5 s while sends are in hand: a slow relay is not a
   * dead worker); a transient failure is thrown once the messages in hand have settled, carrying
   * the progress as its details.
   */
  async function sendAll(batches: EmailBatch[], progress: EmailBatchResult[], beat: (results: EmailBatchResult[]) => void): Promise<EmailBatchResult[]> {
    const results = batches.map((_, i) => ({ sent: [...(progress[i]?.sent ?? [])], rejected: [...(progress[i]?.rejected ?? [])] }));
    const pending = batches.flatMap((batch, i) => {
      const done = new Set([...results[i]!.sent, ...results[i]!.rejected.map((r) => r.to)]);
      return batch.recipients.filter((recipient) => !done.has(recipient.email)).map((recipient) => ({ i, batch, recipient }));
    });
    let transient: unknown;
    const beating = setInterval(() => beat(results), 5_000);
    try {
      await eachBounded(pending, MAX_CONNECTIONS, async ({ i, batch, recipient }) => {
        try {
          const outcome = await sendOne(batch, recipient);
          if (outcome === 'sent') results[i]!.sent.push(recipient.email);
          else results[i]!.rejected.push({ to: recipient.email, reason: outcome.rejected });
          beat(results);
        } catch (error) {
          transient ??= error;
        }
      });
    } finally {
      clearInterval(beating);
    }
    // The progress goes with the failure too: when the retries are given up, the workflow still
    // knows which batches were finished (the last heartbeat is not carried by such a failure).
    if (transient) throw ApplicationFailure.retryable((transient as Error).message, 'SmtpTransient', results);
    batches.forEach((batch, i) => {
      if (results[i]!.sent.length === 0 && results[i]!.rejected.length === 0 && batch.recipients.length > 0) {
        throw ApplicationFailure.nonRetryable('nothing was sent', 'NothingSent');
      }
    });
    return results;
  }

  return {
    /**
     * One batch (disputes started before the emails of a transition went as one activity). Progress
     * is kept in heartbeats (the workflow sets a heartbeat timeout), so a retry after a transient
     * failure or a dead worker sends only to those not yet reached; a permanent rejection is
     * reported, not retried.
     */
    async sendEmails(batch: EmailBatch): Promise<EmailBatchResult> {
      const progress = (activityInfo().heartbeatDetails as EmailBatchResult | undefined) ?? { sent: [], rejected: [] };
      const [result] = await sendAll([batch], [progress], (results) => heartbeat(results[0]));
      return result!;
    },

    /**
     * Every batch one step of the procedure produced, as one activity: one result per batch, in
     * order. The heartbeat carries every batch's progress, so a retry resumes where the last attempt
     * stopped; each message keeps its own Message-ID (messageIdFor), whichever attempt sends it.
     */
    async sendEmailsTogether(batches: EmailBatch[]): Promise<EmailBatchResult[]> {
      const progress = (activityInfo().heartbeatDetails as EmailBatchResult[] | undefined) ?? [];
      return sendAll(batches, progress, (results) => heartbeat(results));
    },

    [releaseMail]: () => transport.close(),
  };
}

export type EmailActivities = Omit<ReturnType<typeof createEmailActivities>, typeof releaseMail>;
