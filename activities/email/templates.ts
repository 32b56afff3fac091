import { formatLondon } from '../../policies/calendar/format';
import type { EmailKind } from '../../workflows/dispute/model';
import type { EmailBatch } from './types';
import { escapeHtml } from '../../runtime/html';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const headlines: Record<EmailKind, (stage: number) => string> = {
  'stage-entered': (stage) => `stage ${stage}: your decision is needed`,
  escalated: (stage) => `escalated to stage ${stage}`,
  'officer-notice': (stage) => `stage ${stage}: notice to the board`,
  reminder: (stage) => `stage ${stage}: reminder`,
  overdue: (stage) => `stage ${stage}: overdue`,
  resolved: (stage) => `resolved at stage ${stage}`,
  decided: (stage) => `decided at stage ${stage}`,
  'closed-unresolved': (stage) => `closed unresolved at stage ${stage}`,
  withdrawn: (stage) => `withdrawn at stage ${stage}`,
  'immediate-harm': (stage) => `stage ${stage}: immediate harm`,
  confirmation: (stage) => `stage ${stage}: decision recorded`,
  record: (stage) => `stage ${stage}: record for every agency`,
  representation: (stage) => `stage ${stage}: written representation`,
  convened: (stage) => `stage ${stage}: how the board will resolve it`,
  debrief: (stage) => `closed at stage ${stage}: a debrief`,
  question: (stage) => `closed at stage ${stage}: a question for the board’s form`,
  rationale: (stage) => `stage ${stage}: your organisation’s decision and rationale`,
};

const openings: Record<EmailKind, string> = {
  'stage-entered': 'A professional difference between agencies has reached your tier, and a decision is needed from you.',
  escalated: 'The professional difference you were involved in has moved up to the next stage.',
  'officer-notice': 'The board’s procedure asks that you are told of this professional difference.',
  reminder: 'A reminder: this stage has not yet been concluded.',
  overdue: 'This stage’s time has run out and no decision has been recorded.',
  resolved: 'The professional difference has been resolved. These are the agreed actions, in writing, for everyone involved.',
  decided: 'The board has decided the professional difference. Its decision is binding on all agencies concerned.',
  'closed-unresolved': 'The professional difference could not be resolved and has been closed as unresolved.',
  withdrawn: 'The agency that raised this professional difference has withdrawn it.',
  'immediate-harm': 'The adult is thought to be at risk of immediate harm. The procedure says you must be informed at once.',
  confirmation: 'Your decision has been recorded.',
  record: 'The board’s procedure asks that this record is held on the adult’s record in every agency involved, and used as the basis of the report to the manager at the next stage.',
  representation: 'A written representation has been made to the board for this dispute.',
  convened: 'The board has recorded how it will resolve this professional difference.',
  debrief: 'The professional difference has closed. The board’s procedure suggests a debrief.',
  question: 'The professional difference you raised has closed. The board asks you, who raised it, one question for its form.',
  rationale: 'This stage has ended unresolved and the procedure has no further stage for this concern. Before the dispute closes, each organisation records its own decision and its rationale, and yours has not yet been recorded.',
};

/** The decided email's opening: what the policy says the outcome is, never "binding" where the document does not. */
function decidedOpening(outcome: NonNullable<EmailBatch['facts']['boardOutcome']>): string {
  switch (outcome.effect) {
    case 'binding':
      return `The board has recorded its ${outcome.name} on the professional difference. It is binding on all agencies concerned.`;
    case 'final':
      return `The board has recorded its ${outcome.name} on the professional difference. It is final and binding on all organisations involved.`;
    case 'recommendation':
      return `The board has made a ${outcome.name} on the most appropriate way to proceed. It is a ${outcome.name}, not a binding decision.`;
    case 'unstated':
      return `The board has recorded its ${outcome.name} on the professional difference.`;
  }
}

/** Subject lines carry the dispute reference and stage only: never a name. */
export function subjectFor(batch: EmailBatch): string {
  const { facts, kind } = batch;
  const headline =
    kind === 'decided' && facts.boardOutcome
      ? `${facts.boardOutcome.name} at stage ${facts.stage}`
      : kind === 'stage-entered' && facts.asksForRepresentation
        ? `stage ${facts.stage}: your written representation`
        : headlines[kind](facts.stage);
  return `[${facts.board.shortName}] Dispute ${facts.disputeId} — ${headline}`;
}

export function deadlineSentence(batch: EmailBatch): string | null {
  const { concludeBy, escalateAt } = batch.facts;
  if (['resolved', 'decided', 'closed-unresolved', 'withdrawn', 'confirmation', 'debrief', 'question'].includes(batch.kind)) return null;
  const parts: string[] = [];
  if (concludeBy) parts.push(`Stage ${batch.facts.stage} must be concluded by ${formatLondon(new Date(concludeBy))}.`);
  if (escalateAt && escalateAt !== concludeBy) {
    parts.push(`If no decision is recorded, the dispute moves on at ${formatLondon(new Date(escalateAt))}.`);
  }
  return parts.length ? parts.join(' ') : null;
}

/** How this recipient can give the decision from the email itself. */
export interface DecisionWays {
  replyTo: string;
  links: { resolved: string; unresolved: string; representation?: string; rationale?: string };
}

/** The link that answers a closed dispute's form question (its token is for that and nothing else). */
export interface AnswerWay {
  link: string;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function renderEmail(batch: EmailBatch, recipientName: string, decision?: DecisionWays, answer?: AnswerWay): RenderedEmail {
  const { facts } = batch;
  const paragraphs: [string, string][] = []; // [label, body]
  paragraphs.push(['', `Dear ${recipientName},`]);
  paragraphs.push(['', batch.kind === 'decided' && facts.boardOutcome ? decidedOpening(facts.boardOutcome) : openings[batch.kind]]);
  if (facts.reason) paragraphs.push(['Why', facts.reason]);
  if (facts.purpose) paragraphs.push(['The procedure', facts.purpose]);
  const deadline = deadlineSentence(batch);
  if (deadline) paragraphs.push(['Deadline', deadline]);
  paragraphs.push(['Dispute', `${facts.disputeId} — ${facts.board.name}, stage ${facts.stage}: ${facts.stageTitle}`]);
  paragraphs.push(['Adult (reference)', facts.personReference]);
  paragraphs.push(['Agencies', facts.agencies.join('; ')]);
  paragraphs.push(['Summary', facts.summary]);
  if (facts.agreedActions) paragraphs.push(['Agreed actions', facts.agreedActions]);
  if (facts.decisionText) paragraphs.push([facts.boardOutcome ? capitalise(facts.boardOutcome.name) : 'Decision', facts.decisionText]);
  for (const line of facts.writtenRecord ?? []) paragraphs.push([line.label, line.value]);
  if (facts.asksForRepresentation) {
    paragraphs.push([
      'Your written representation',
      'The outcome of this stage is the board’s to record. Send your agency’s written representation to the board' +
        (decision?.links.representation
          ? ': reply to this email with REPRESENTATION on the first line and your representation below it (only a reply from this address counts), ' +
            `or open ${decision.links.representation} and fill in the form; `
          : ' ') +
        'or with the dispute API (POST /disputes/<id>/representations) or `dispute representation <id> --by <your email> --text …`. It is recorded and sent to the panel.',
    ]);
  }
  if (facts.question) {
    paragraphs.push(['The question', facts.question.label]);
    paragraphs.push(['Your answer', `one of: ${facts.question.choices.join('; ')}, with a comment if you wish.`]);
    paragraphs.push([
      'To answer',
      (answer ? `open ${answer.link} and choose your answer` : 'the board manager can tell you how to answer') +
        ` by ${formatLondon(new Date(facts.question.until))}. After that the form is sent without it.`,
    ]);
  }
  if (facts.asksForRationale) {
    paragraphs.push([
      'To record it',
      (decision?.links.rationale ? `open ${decision.links.rationale} and fill in the form, ` : '') +
        'or use the dispute API (POST /disputes/<id>/rationale with your decision and rationale). Your organisation’s stage contacts or its designated safeguarding lead may record it, once.',
    ]);
  }
  if (facts.asksForDecision && decision) {
    paragraphs.push([
      'To record the outcome',
      'reply to this email with RESOLVED or UNRESOLVED on the first line, and below it the agreed actions (resolved) or the reason (unresolved). ' +
        'Only a reply from this address counts.',
    ]);
    paragraphs.push(['Or open a link', `resolved: ${decision.links.resolved} — unresolved: ${decision.links.unresolved}`]);
  } else if (facts.asksForDecision) {
    paragraphs.push(['', 'Record the outcome — resolved, with the agreed actions, or unresolved, with the reason — in your case system or with the dispute CLI.']);
  }
  const text = paragraphs.map(([label, body]) => (label ? `${label}: ${body}` : body)).join('\n\n');
  const recordText = facts.record
    ? `\n\n${facts.record.name}\n${facts.record.fields.map((field) => `- ${field.label}: ${field.value || '(to complete)'}`).join('\n')}`
    : '';
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    ...paragraphs.map(([label, body]) => `<p>${label ? `<strong>${escapeHtml(label)}:</strong> ` : ''}${escapeHtml(body)}</p>`),
    facts.record
      ? `<h3>${escapeHtml(facts.record.name)}</h3><table>${facts.record.fields
          .map((field) => `<tr><th align="left">${escapeHtml(field.label)}</th><td>${escapeHtml(field.value || '(to complete)')}</td></tr>`)
          .join('')}</table>`
      : '',
    '</body></html>',
  ].join('\n');
  return { subject: subjectFor(batch), text: text + recordText, html };
}
