import type { FastifyInstance, FastifyReply } from 'fastify';
import { linkHolder, recordDecision, standing } from '../replies/decide';
import type { Disputes } from '../operations';
import { escapeHtml } from '../../runtime/html';

// The pages behind an email's decision links. Opening a link only shows a form: mail scanners
// follow links, so only the form's POST records anything.

export interface DecisionPagesOptions {
  disputes: Disputes;
  secret: string;
  now?: () => number;
}

const words = { resolved: 'Resolved', unresolved: 'Unresolved' } as const;

/** Markup this module wrote itself. Any plain string given to `page()` is text and is escaped. */
interface Html {
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
    if (decision !== 'resolved' && decision !== 'unresolved') return page(reply, 404, 'Not a decision link', 'This link is not one the service issued.');
    const holder = await linkHolder(options.disputes, options.secret, token, now());
    if (!holder.ok) return page(reply, holder.refusal === 'expired' ? 410 : 404, 'This link cannot be used', holder.message);
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

  app.post<{ Params: { token: string; decision: string }; Body: Record<string, string> | undefined }>('/decisions/:token/:decision', async (request, reply) => {
    const { token, decision } = request.params;
    if (decision !== 'resolved' && decision !== 'unresolved') return page(reply, 404, 'Not a decision link', 'This link is not one the service issued.');
    const holder = await linkHolder(options.disputes, options.secret, token, now());
    if (!holder.ok) return page(reply, holder.refusal === 'expired' ? 410 : 404, 'This link cannot be used', holder.message);
    const body = typeof request.body === 'object' && request.body ? request.body : {};
    const result = await recordDecision(options.disputes, holder.view, holder.claim, decision, String(body.text ?? ''), {
      safetyMeasuresConfirmed: body.safetyMeasuresConfirmed === 'true',
      requestId: `link:${token}:${decision}`,
    });
    if (!result.ok) {
      const status = result.refusal === 'used' || result.refusal === 'stage-passed' || result.refusal === 'closed' ? 410 : 422;
      return page(reply, status, result.refusal === 'used' ? 'This link has been used' : 'Nothing was recorded', result.message);
    }
    return page(
      reply,
      200,
      'Recorded',
      html`Your decision has been recorded: <strong>${result.decision}</strong> at stage ${result.claim.stage} of dispute ${result.claim.disputeId}. Everyone involved is told by email.`,
    );
  });
}

/** A page; `message` is text unless it is markup made with html`…` (refusal messages quote workflow errors, which quote callers). */
export function page(reply: FastifyReply, status: number, title: string, message: string | Html, extra: Html = { html: '' }): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family: sans-serif; max-width: 44rem; margin: 2rem auto"><h1>${escapeHtml(title)}</h1><p>${toHtml(message)}</p>${extra.html}</body></html>`,
    );
}
