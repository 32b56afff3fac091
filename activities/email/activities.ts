import { createHash } from 'node:crypto';
import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import { expiryDay, replyAddress, signDecisionToken, type ReplyAddressing } from '../../runtime/decision-token';
import { renderEmail, type AnswerWay, type DecisionWays } from './templates';
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
 * The same (dispute, stage, kind, sequence, recipient) always gives the same Message-ID. A decision
 * email's carries its token (`.t<token>`), so a reply that lost the Reply-To's plus-part still matches.
 */
export function messageIdFor(batch: EmailBatch, recipient: string, domain: string, token?: string): string {
  const who = token ? `t${token}` : createHash('sha256').update(recipient.toLowerCase()).digest('hex').slice(0, 16);
  const { disputeId, stage } = batch.facts;
  return `<${disputeId}.s${stage}.${batch.kind}.${batch.sequence}.${who}@${domain}>`;
}

/** The decision token and ways to use it, for one recipient of a decision email. */
function decisionWays(settings: DecisionSettings, batch: EmailBatch, recipient: string): { token: string; ways: DecisionWays } {
  // Expiry counts from when the email was first scheduled, so every retry sends the same token.
  const token = signDecisionToken(settings.secret, {
    disputeId: batch.facts.disputeId,
    stage: batch.facts.stage,
    recipient,
    expiresDay: expiryDay(activityInfo().scheduledTimestampMs, settings.ttlDays),
  });
  const base = settings.linkBase.replace(/\/$/, '');
  return {
    token,
    ways: {
      replyTo: replyAddress(settings.addressing, token),
      links: {
        resolved: `${base}/decisions/${token}/resolved`,
        unresolved: `${base}/decisions/${token}/unresolved`,
        ...(batch.facts.asksForRepresentation ? { representation: `${base}/decisions/${token}/representation` } : {}),
        ...(batch.facts.asksForRationale ? { rationale: `${base}/decisions/${token}/rationale` } : {}),
      },
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
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

function transientReason(error: unknown): string {
  const { responseCode, code, command } = (error ?? {}) as { responseCode?: unknown; code?: unknown; command?: unknown };
  const parts = [typeof responseCode === 'number' ? String(responseCode) : null, typeof code === 'string' ? code : null, typeof command === 'string' ? `at ${command.split(' ')[0]}` : null];
  return `SMTP transient failure (${parts.filter(Boolean).join(', ') || 'no reply'})`;
}

export function createEmailActivities(settings: MailSettings) {
  const transport = mailTransport(settings);

  return {
    /**
     * Sends one email per recipient. Progress is kept in heartbeats (the workflow sets a heartbeat
     * timeout), so a retry after a transient failure or a dead worker sends only to those not yet
     * reached; a permanent rejection is reported, not retried.
     */
    async sendEmails(batch: EmailBatch): Promise<EmailBatchResult> {
      const progress = (activityInfo().heartbeatDetails as EmailBatchResult | undefined) ?? { sent: [], rejected: [] };
      const done = new Set([...progress.sent, ...progress.rejected.map((r) => r.to)]);
      const result: EmailBatchResult = { sent: [...progress.sent], rejected: [...progress.rejected] };
      for (const recipient of batch.recipients) {
        if (done.has(recipient.email)) continue;
        // A party asked for its representation to the board answers the same way: by reply or by link.
        const decision = (batch.facts.asksForDecision || batch.facts.asksForRepresentation || batch.facts.asksForRationale) && settings.decisions ? decisionWays(settings.decisions, batch, recipient.email) : undefined;
        const answer = batch.facts.question && settings.decisions ? answerWay(settings.decisions, batch, recipient.email) : undefined;
        const email = renderEmail(batch, recipient.name, decision?.ways, answer);
        // A slow relay is not a dead worker: keep beating while one send is in hand.
        const beating = setInterval(() => heartbeat(result), 5_000);
        try {
          await transport.sendMail({
            from: settings.from,
            to: { name: recipient.name, address: recipient.email },
            ...(decision ? { replyTo: decision.ways.replyTo } : {}),
            subject: email.subject,
            text: email.text,
            html: email.html,
            messageId: messageIdFor(batch, recipient.email, settings.messageIdDomain, decision?.token),
            headers: { 'X-Dispute-Id': batch.facts.disputeId, 'X-Dispute-Stage': String(batch.facts.stage), 'Auto-Submitted': 'auto-generated' },
          });
          result.sent.push(recipient.email);
        } catch (error) {
          // Transient: the activity is retried with backoff. The failure goes into history and the
          // worker's log, so it names the SMTP code only: server replies often quote the address.
          if (!isPermanent(error)) throw ApplicationFailure.retryable(transientReason(error), 'SmtpTransient');
          result.rejected.push({ to: recipient.email, reason: (error.response ?? error.message).slice(0, 300) });
        } finally {
          clearInterval(beating);
        }
        done.add(recipient.email);
        heartbeat(result);
      }
      if (result.sent.length === 0 && result.rejected.length === 0 && batch.recipients.length > 0) {
        throw ApplicationFailure.nonRetryable('nothing was sent', 'NothingSent');
      }
      return result;
    },
  };
}

export type EmailActivities = ReturnType<typeof createEmailActivities>;
