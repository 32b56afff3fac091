import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { linkHolder, recordDecision, recordRepresentation, refusalWords, standing, type Refusal } from '../replies/decide';
import { act, DisputeFailure, UpdateLimitReached, type Disputes } from '../operations';
import { escapeHtml } from '../../runtime/html';
import { htmlPage } from '../page-headers';
import { tokenReference, type DecisionClaim } from '../../runtime/decision-token';
import { AnswerInput, type DisputeView } from '../../workflows/dispute/model';
import { formQuestion } from '../../workflows/dispute/record';

// The pages behind an email's decision links. Opening a link only shows a form: mail scanners
// follow links, so only the form's POST records anything. At the board's stage the same link's
// token also carries a party's written representation (/decisions/<token>/representation).

export interface DecisionPagesOptions {
  disputes: Disputes;
  secret: string;
  now?: () => number;
}

const words = { resolved: 'Resolved', unresolved: 'Unresolved' } as const;

/** Markup this module wrote itself. Any plain string given to `page()` is text and is escaped. */
export interface Html {
  html: string;
}

/** A template whose interpolated values are escaped: html`<strong>${word}</strong>`. */
function html(strings: TemplateStringsArray, ...values: (string | number | Html)[]): Html {
  return { html: strings.reduce((out, part, index) => out + part + (index < values.length ? toHtml(values[index]!) : ''), '') };
}

function toHtml(value: string | number | Html): string {
  return typeof value === 'object' ? value.html : escapeHtml(String(value));
}

export function registerDecisionPages(app: FastifyInstance, options: DecisionPagesOptions): void {
  const now = () => options.now?.() ?? Date.now();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get<{ Params: { token: string; decision: string } }>('/decisions/:token/:decision', async (request, reply) => {
    const { token, decision } = request.params;
    if (decision !== 'resolved' && decision !== 'unresolved' && decision !== 'representation' && decision !== 'rationale') return page(reply, 404, 'Not a decision link', 'This link is not one the service issued.');
    const holder = await linkHolder(options.disputes, options.secret, token, now());
    if (!holder.ok) return page(reply, holder.refusal === 'expired' ? 410 : 404, 'This link cannot be used', holder.message);
    if (decision === 'rationale') {
      const { view, claim } = holder;
      if (view.status !== 'open' || view.stage !== claim.stage) return page(reply, 410, 'This link cannot be used now', view.status !== 'open' ? `The dispute is already ${view.status}. Nothing can be recorded.` : `The email was about stage ${claim.stage}; the dispute is now at stage ${view.stage}.`);
      return page(
        reply,
        200,
        `Dispute ${claim.disputeId}, stage ${claim.stage}: your organisation’s decision and rationale`,
        html`You are recording your organisation’s own decision and rationale for stage ${claim.stage} of dispute ${claim.disputeId}, as ${claim.recipient}. The dispute closes once every organisation’s is recorded.`,
        html`<form method="post">
        <p><label for="decision">Your organisation’s decision</label><br><textarea id="decision" name="decision" rows="4" cols="70" maxlength="2000" required></textarea></p>
        <p><label for="rationale">Its rationale: your attempts to resolve it, any advice given or alternatives offered</label><br><textarea id="rationale" name="rationale" rows="10" cols="70" maxlength="4000" required></textarea></p>
        <p><button type="submit">Record our decision and rationale</button></p>
      </form>`,
      );
    }
    if (decision === 'representation') {
      const { view, claim } = holder;
      if (view.status !== 'open' || view.stage !== claim.stage) {
        return page(reply, 410, 'This link cannot be used now', view.status !== 'open' ? `The dispute is already ${view.status}. Nothing can be recorded.` : `The email was about stage ${claim.stage}; the dispute is now at stage ${view.stage}.`);
      }
      return page(
        reply,
        200,
        `Dispute ${claim.disputeId}, stage ${claim.stage}: written representation`,
        html`You are making your agency’s written representation to the board for stage ${claim.stage} of dispute ${claim.disputeId}, as ${claim.recipient}. It is recorded and sent to the panel.`,
        html`<form method="post">
        <p><label for="text">Your written representation</label><br><textarea id="text" name="text" rows="12" cols="70" maxlength="8000" required></textarea></p>
        <p><button type="submit">Send the representation to the board</button></p>
      </form>`,
      );
    }
    const refused = standing(holder.view, holder.claim);
    if (refused) return page(reply, 410, refused.refusal === 'used' ? 'This link has been used' : 'This link cannot be used now', refused.message);
    const asks = decision === 'resolved' ? 'The agreed actions' : 'The reason it is unresolved';
    return page(
      reply,
      200,
      `Dispute ${holder.claim.disputeId}, stage ${holder.claim.stage}: ${words[decision]}`,
      html`You are recording <strong>${words[decision].toLowerCase()}</strong> for stage ${holder.claim.stage} of dispute ${holder.claim.disputeId}, as ${holder.claim.recipient}.`,
      html`<form method="post">
        <p><label for="text">${asks}</label><br><textarea id="text" name="text" rows="8" cols="70" required></textarea></p>
        ${decision === 'resolved' ? html`<p><label><input type="checkbox" name="safetyMeasuresConfirmed" value="true"> Sufficient safety measures are in place for the adult</label></p>` : ''}
        <p><button type="submit">Record: ${words[decision]}</button></p>
      </form>`,
    );
  });

  registerAnswerPages(app, options, now);

  app.post<{ Params: { token: string; decision: string }; Body: Record<string, string> | undefined }>('/decisions/:token/:decision', async (request, reply) => {
    const { token, decision } = request.params;
    if (decision !== 'resolved' && decision !== 'unresolved' && decision !== 'representation' && decision !== 'rationale') return page(reply, 404, 'Not a decision link', 'This link is not one the service issued.');
    // The form is read before the dispute is: a refused body costs no read.
    const opened = async <T>(schema: z.ZodType<T>): Promise<{ refused: FastifyReply } | { data: T; holder: Exclude<Awaited<ReturnType<typeof linkHolder>>, { ok: false }> }> => {
      const form = formOf(request, schema);
      if (!form.ok) return { refused: refusedForm(reply, form) };
      const holder = await linkHolder(options.disputes, options.secret, token, now());
      if (!holder.ok) return { refused: page(reply, holder.refusal === 'expired' ? 410 : 404, 'This link cannot be used', holder.message) };
      return { data: form.data, holder };
    };
    // Update IDs are kept in clear in the dispute's history: they name the token by a keyed hash only.
    const requestId = `link:${tokenReference(options.secret, token)}:${decision}`;
    if (decision === 'rationale') {
      const form = await opened(RationaleForm);
      if ('refused' in form) return form.refused;
      const { data, holder } = form;
      try {
        await act(options.disputes, holder.claim.disputeId, 'recordRationale', { by: holder.claim.recipient, ...data }, `${requestId}:${requestKey(`${data.decision}\n${data.rationale}`)}`);
      } catch (error) {
        return refusedAct(reply, error);
      }
      return page(reply, 200, 'Recorded', html`Your organisation’s decision and rationale have been recorded for stage ${holder.claim.stage} of dispute ${holder.claim.disputeId}.`);
    }
    if (decision === 'representation') {
      const form = await opened(RepresentationForm);
      if ('refused' in form) return form.refused;
      const { data: { text }, holder } = form;
      // The same text posted twice (a double click, a resubmitted form) is one representation.
      const result = await recordRepresentation(options.disputes, holder.view, holder.claim, text, { requestId: `${requestId}:${requestKey(text)}` });
      if (!result.ok) return page(reply, refusedStatus(result.refusal), 'Nothing was recorded', result.message);
      return page(reply, 200, 'Recorded', html`Your written representation has been recorded for stage ${result.claim.stage} of dispute ${result.claim.disputeId} and sent to the panel.`);
    }
    const form = await opened(DecisionForm);
    if ('refused' in form) return form.refused;
    const { data: { text, safetyMeasuresConfirmed }, holder } = form;
    const result = await recordDecision(options.disputes, holder.view, holder.claim, decision, text, { safetyMeasuresConfirmed: safetyMeasuresConfirmed === 'true', requestId });
    if (!result.ok) {
      return page(reply, refusedStatus(result.refusal), result.refusal === 'used' ? 'This link has been used' : 'Nothing was recorded', result.message);
    }
    return page(
      reply,
      200,
      'Recorded',
      html`Your decision has been recorded: <strong>${result.decision}</strong> at stage ${result.claim.stage} of dispute ${result.claim.disputeId}. Everyone involved is told by email.`,
    );
  });
}

/**
 * The form a closed dispute's question is answered on (North Somerset: how effective the procedure
 * was), at /answers/<token>. The token is made for answering and nothing else, for the person asked;
 * as with the decision links, opening it only shows the form, and only its POST records.
 */
function registerAnswerPages(app: FastifyInstance, options: DecisionPagesOptions, now: () => number): void {
  const answering = async (token: string): Promise<{ ok: true; claim: DecisionClaim; view: DisputeView } | { ok: false; status: number; title: string; message: string }> => {
    const holder = await linkHolder(options.disputes, options.secret, token, now(), 'answer');
    return holder.ok ? holder : { ok: false, status: holder.refusal === 'expired' ? 410 : 404, title: 'This link cannot be used', message: holder.message };
  };
  const questionOf = (view: DisputeView) => formQuestion(view, options.disputes.context.policies.find(view.policy.id, view.policy.version));
  const notAwaited = (view: DisputeView) =>
    questionOf(view)?.state === 'answered'
      ? 'The question has already been answered. Nothing more was changed.'
      : questionOf(view)?.state === 'unanswered'
        ? 'The time to answer has passed, and the form has been sent without it. Nothing was recorded.'
        : 'This dispute is not waiting for an answer. Nothing was recorded.';

  app.get<{ Params: { token: string } }>('/answers/:token', async (request, reply) => {
    const holder = await answering(request.params.token);
    if (!holder.ok) return page(reply, holder.status, holder.title, holder.message);
    const { view, claim } = holder;
    const question = questionOf(view);
    if (!question || question.state !== 'awaited') return page(reply, 410, 'This link cannot be used now', notAwaited(view));
    return page(
      reply,
      200,
      `Dispute ${claim.disputeId}: a question for the board’s form`,
      html`The dispute you raised is ${view.status}. You are answering, as ${claim.recipient}, until ${question.until}: ${question.label}`,
      html`<form method="post">
        <fieldset><legend>Your answer</legend>
        ${{ html: question.choices.map((choice, index) => html`<p><label><input type="radio" name="choice" value="${choice}" ${index === 0 ? { html: 'required' } : ''}> ${choice}</label></p>`.html).join('') }}
        </fieldset>
        <p><label for="comment">A comment, and how the procedure could be improved (optional)</label><br><textarea id="comment" name="comment" rows="6" cols="70" maxlength="${maxComment}"></textarea></p>
        <p><button type="submit">Send my answer</button></p>
      </form>`,
    );
  });

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>('/answers/:token', async (request, reply) => {
    const form = formOf(request, AnswerForm);
    if (!form.ok) return refusedForm(reply, form);
    const { choice, comment } = form.data;
    const holder = await answering(request.params.token);
    if (!holder.ok) return page(reply, holder.status, holder.title, holder.message);
    const { view, claim } = holder;
    const question = questionOf(view);
    if (!question || question.state !== 'awaited') return page(reply, 410, 'This link cannot be used now', notAwaited(view));
    try {
      // The same answer posted twice (a double click) is recorded once; a different second answer is refused by the dispute.
      await act(
        options.disputes,
        claim.disputeId,
        'answerForm',
        { by: claim.recipient, field: question.field, choice, ...(comment ? { comment } : {}) },
        `link:${tokenReference(options.secret, request.params.token)}:answer:${requestKey(`${choice}\n${comment ?? ''}`)}`,
      );
    } catch (error) {
      return refusedAct(reply, error);
    }
    return page(reply, 200, 'Recorded', html`Thank you: your answer (${choice}) has been recorded, and the board’s form is completed with it and sent.`);
  });
}

/**
 * A refusal's status: 410 only where the link can never be used again (its stage passed, the dispute
 * closed, the decision made); the dispute at Temporal's update limit is open, so 409, never "closed".
 */
function refusedStatus(refusal: Refusal): number {
  if (refusal === 'used' || refusal === 'stage-passed' || refusal === 'closed') return 410;
  if (refusal === 'limit-reached') return 409;
  return refusal === 'not-a-party' ? 403 : 422;
}

/** The page for an update the dispute refused, in the words the email answers use. */
function refusedAct(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof DisputeFailure)) throw error;
  if (error instanceof UpdateLimitReached) return page(reply, refusedStatus('limit-reached'), 'Nothing was recorded', refusalWords['limit-reached']);
  const status = error.kind === 'conflict' ? 410 : error.kind === 'forbidden' ? 403 : error.kind === 'invalid' ? 400 : 422;
  return page(reply, status, 'Nothing was recorded', error.message);
}

type FormRead<T> = { ok: true; data: T };
type FormRefused = { ok: false; status: 400 | 415; message: string };

/**
 * A link page's POST body: a web form only (anything else is a 415, never a value for the code to
 * puzzle over), read strictly by its schema; a refusal names the field.
 */
function formOf<T>(request: FastifyRequest, schema: z.ZodType<T>): FormRead<T> | FormRefused {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { ok: false, status: 415, message: 'The form must be sent as a web form (application/x-www-form-urlencoded).' };
  const parsed = schema.safeParse(request.body ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, status: 400, message: `${issue.path.join('.') || 'form'}: ${issue.message}` };
}

function refusedForm(reply: FastifyReply, refused: FormRefused): FastifyReply {
  return page(reply, refused.status, 'Nothing was recorded', refused.message);
}

const missingText = { error: 'the form’s text box is missing' };

/** The decision form's fields; the text's own rules (not empty, capped) are the dispute's, said in its words. */
const DecisionForm = z.strictObject({ text: z.string(missingText), safetyMeasuresConfirmed: z.literal('true').optional() });

/** The representation form's field. */
const RepresentationForm = z.strictObject({ text: z.string(missingText) });

/** The rationale form's fields: strict, capped as the dispute caps them. */
const RationaleForm = z.strictObject({
  decision: z.string().trim().min(1, 'give your organisation’s decision').max(2000),
  rationale: z.string().trim().min(1, 'give the rationale').max(4000),
});

const maxComment = AnswerInput.shape.comment.unwrap().maxLength ?? 2000;

/** The answer form's fields: strict, capped as the dispute caps them; an empty comment is none. */
const AnswerForm = z.strictObject({
  choice: z.string().trim().min(1, 'choose an answer').max(80),
  comment: z
    .string()
    .max(maxComment, `at most ${maxComment} characters`)
    .optional()
    .transform((comment) => comment?.trim() || undefined),
});

function requestKey(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex').slice(0, 16);
}

const style = 'body { font-family: sans-serif; max-width: 44rem; margin: 2rem auto }';
/**
 * What a link page loads: its one style block (allowed by its hash, so no inline style is
 * `unsafe-inline`), and a form that posts back to the page's own address. Nothing else: no script,
 * no image, no other origin, never in a frame.
 */
const linkPagePolicy = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/** A page; `message` is text unless it is markup made with html`…` (refusal messages quote workflow errors, which quote callers). */
export function page(reply: FastifyReply, status: number, title: string, message: string | Html, extra: Html = { html: '' }): FastifyReply {
  return htmlPage(reply, status, linkPagePolicy).send(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${style}</style></head>` +
      `<body><h1>${escapeHtml(title)}</h1><p>${toHtml(message)}</p>${extra.html}</body></html>`,
  );
}
