import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../../runtime/errors';
import { AnswerInput, ChangeContactInput, NoteInput, RationaleInput, OutcomeInput, RaiseRiskInput, RepresentationInput, WithdrawInput, type DisputeView } from '../../workflows/dispute/model';
import { NewDispute } from '../disputes';
import { act, checkTemporal, DisputeFailure, disputeParties, listDisputePage, ListFilter, openDispute, readDispute, recordAccess, type Disputes, type FailureKind, type Operation } from '../operations';
import type { Reader } from '../../records/access-log';
import { directoryPeople, domainOf } from '../../policies/directory-schema';
import { parseJsonBody } from './json-body';
import { maySee, viewerOfCaller, type Visible } from '../access';
import type { ApiKeys, Caller } from './keys';
import { registerCodec, type CodecOptions } from './codec';
import { page as decisionPage, registerDecisionPages, type DecisionPagesOptions } from './decision-pages';
import { openApiDocument, type RouteDoc } from './openapi';
import { registerWebPages, type WebOptions } from '../web/routes';
import { defaultRateLimits, limitRequests, RateLimited, type RateLimits } from './rate-limits';

// The HTTP API agency case systems call. JSON in and out; every body parsed with zod; every error a
// JSON object that names the field; nothing a caller can send gives a 500.

export interface ApiOptions {
  disputes: Disputes;
  keys: ApiKeys;
  /** One line per request: method, route pattern, status, time. No bodies, no personal data. */
  log?: (line: string) => void;
  /** With these, the pages behind decision emails' links are served under /decisions/. */
  decisions?: Omit<DecisionPagesOptions, 'disputes'>;
  /** With these, the board pages are served under /web/. */
  web?: Omit<WebOptions, 'disputes'>;
  /**
   * What `/health` checks besides Temporal, by name (`smtp`, later the records store): each
   * resolves when the thing is up and throws when it is down.
   */
  health?: Record<string, () => Promise<unknown>>;
  /** With this, the codec endpoint for the Temporal Web UI is served under /codec/. */
  codec?: CodecOptions;
  /** Each caller's allowance (README "Rate limits"); without it, the defaults. */
  limits?: RateLimits;
  /** Reverse proxies whose X-Forwarded-For names the client (API_TRUSTED_PROXIES); without them, the socket's address is the client's. */
  trustedProxies?: string[];
}

const statusOf: Record<FailureKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-allowed': 422,
  'key-reused': 422,
  unavailable: 503,
};
const codeOf: Record<FailureKind, string> = {
  invalid: 'invalid_request',
  forbidden: 'forbidden',
  'not-found': 'not_found',
  conflict: 'conflict',
  'not-allowed': 'not_allowed',
  'key-reused': 'idempotency_key_reused',
  unavailable: 'unavailable',
};
/** How long one `/health` check may take. */
const healthCheckMs = 2_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const DisputeParams = z.object({ disputeId: z.string().regex(/^[a-z0-9-]{6,80}$/, 'expected a dispute id such as rsab-k3m9qz') });

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown field is named itself, not the object that holds it.
    const path = issue?.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : (issue?.path ?? []);
    throw new HttpError(400, 'invalid_request', `${where}: ${describeIssues(parsed.error)}`, path.map(String).join('.') || undefined);
  }
  return parsed.data;
}

function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^Bearer \S+$/i.test(header) ? header.slice(7) : undefined;
}

/** Each request's key, identified once: the rate limit asks first, then the route (identifying hashes the key). */
const identified = new WeakMap<FastifyRequest, Caller | null>();

function identify(request: FastifyRequest, keys: ApiKeys): Caller | null {
  if (!identified.has(request)) {
    const key = bearerKey(request);
    identified.set(request, key ? keys.identify(key) : null);
  }
  return identified.get(request)!;
}

function callerOf(request: FastifyRequest, keys: ApiKeys): Caller {
  if (!bearerKey(request)) throw new HttpError(401, 'unauthenticated', 'an API key is needed: send "Authorization: Bearer <key>"');
  const caller = identify(request, keys);
  if (!caller) throw new HttpError(403, 'forbidden', 'this API key is not recognised');
  return caller;
}

function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value)) {
    throw new HttpError(400, 'invalid_request', 'Idempotency-Key: expected 1–200 printable characters', 'Idempotency-Key');
  }
  return value;
}

/** The caller as the access log names it: the key's name and whose key it is. */
const readerOf = (caller: Caller): Reader =>
  caller.kind === 'agency' ? { kind: 'agency-key', name: `${caller.name} (${caller.agencyId})` } : { kind: 'board-key', name: `${caller.name} (${caller.boardId})` };

const callerId = (caller: Caller) => (caller.kind === 'agency' ? `agency:${caller.agencyId}` : `board:${caller.boardId}`);

/** A dispute this caller may see: an agency's own, or any of a board's. Others do not exist for it. */
async function visibleDispute(disputes: Disputes, caller: Caller, disputeId: string): Promise<DisputeView> {
  const view = await readDispute(disputes, disputeId);
  if (!maySee(viewerOfCaller(caller), { board: view.board, agencies: view.agencies.map((agency) => agency.id) })) throw new DisputeFailure('not-found', `no dispute '${disputeId}'`);
  return view;
}

/**
 * The board and agencies of a dispute this caller may act on, without reading the dispute: parties
 * never change, so what the process saw at the start or a read (else the search attributes) decides.
 * Refused, it is the same 404 as a dispute that does not exist, after the same round trip to
 * Temporal, so neither the answer nor its time tells a caller that the dispute exists.
 */
async function actionableDispute(disputes: Disputes, caller: Caller, disputeId: string): Promise<Visible> {
  const viewer = viewerOfCaller(caller);
  const known = await disputeParties(disputes, disputeId);
  if (known && maySee(viewer, known)) return known;
  if (known) await disputeParties(disputes, disputeId, { fresh: true });
  throw new DisputeFailure('not-found', `no dispute '${disputeId}'`);
}

function officersOf(disputes: Disputes, boardId: string): string[] {
  return Object.values(disputes.context.directory.boards[boardId]?.officers ?? {}).map((officer) => officer.email.toLowerCase());
}

function agencyOf(disputes: Disputes, agencyId: string) {
  return disputes.context.directory.agencies.find((agency) => agency.id === agencyId);
}

/** An agency's own mail domains, from the directory. */
function domainsOf(disputes: Disputes, agencyId: string): string[] {
  return agencyOf(disputes, agencyId)?.emailDomains ?? [];
}

/**
 * The person named in `by` must be one the caller speaks for: for an agency, one of its people (an
 * address of its own, never a board officer's), and the workflow's validator then holds it to the
 * people of this dispute; for a board, its officers. Where another party shares the address's
 * domain, the domain cannot tell them apart: the dispute's own list of each agency's people does,
 * and an address on another party's list too (named twice before that was refused) is neither's.
 */
async function mustSpeakFor(disputes: Disputes, caller: Caller, parties: Visible, disputeId: string, by: string): Promise<void> {
  const person = by.toLowerCase();
  if (caller.kind === 'board') {
    if (!officersOf(disputes, caller.boardId).includes(person)) throw new HttpError(403, 'forbidden', `by: ${by} is not an officer of ${caller.boardId}`, 'by');
    return;
  }
  const notOurs = () => new HttpError(403, 'forbidden', `by: ${by} is not one of ${caller.name}'s people in this dispute`, 'by');
  const domain = domainOf(person);
  if (officersOf(disputes, parties.board).includes(person) || !domainsOf(disputes, caller.agencyId).includes(domain)) throw notOurs();
  if (parties.agencies.some((agency) => agency !== caller.agencyId && domainsOf(disputes, agency).includes(domain))) {
    const view = await readDispute(disputes, disputeId);
    const ours = view.agencies.find((agency) => agency.id === caller.agencyId)?.people.includes(person);
    const theirs = view.agencies.some((agency) => agency.id !== caller.agencyId && agency.people.includes(person));
    if (!ours || theirs) throw notOurs();
  }
}

/**
 * An agency changes only its own contacts, a board any party's; either way only to addresses of
 * that agency's own, never a board officer's nor one the directory names for another party (the
 * workflow holds it to the dispute's own lists of each party's people too).
 */
function mayChangeContact(disputes: Disputes, caller: Caller, parties: Visible, input: ChangeContactInput): void {
  if (caller.kind === 'agency' && input.agencyId !== caller.agencyId) throw new HttpError(403, 'forbidden', `agencyId: ${caller.name} may change only its own contacts`, 'agencyId');
  // Not a party: the workflow refuses it, naming `agencyId`.
  if (!parties.agencies.includes(input.agencyId)) return;
  const officers = officersOf(disputes, parties.board);
  const domains = domainsOf(disputes, input.agencyId);
  const others = parties.agencies.filter((agency) => agency !== input.agencyId).map((agency) => agencyOf(disputes, agency));
  input.contacts.forEach((contact, index) => {
    const address = contact.email.toLowerCase();
    const field = `contacts.${index}.email`;
    if (officers.includes(address) || !domains.includes(domainOf(address))) {
      throw new HttpError(403, 'forbidden', `${field}: only addresses of ${input.agencyId}'s own (${domains.join(', ')}) may be its contacts, never a board officer's`, field);
    }
    const other = others.find((agency) => agency && directoryPeople(agency).includes(address));
    if (other) throw new HttpError(403, 'forbidden', `${field}: ${address} is one of ${other.name}'s people, not ${input.agencyId}'s`, field);
  });
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const { disputes, keys } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    trustProxy: options.trustedProxies?.length ? options.trustedProxies : false,
    // The router's own refusals (a bad %-escape, an over-long path segment) in our shape, without echoing the path.
    frameworkErrors: (error, _request, reply) =>
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? send(reply, 414, 'invalid_request', 'path: a path segment is too long', 'path')
        : send(reply, 400, 'invalid_request', 'path: not a valid URL (a malformed %-escape)', 'path'),
  });
  const docs: RouteDoc[] = [];
  // JSON only: anything else is a 415, not a string for zod to puzzle over. Our own JSON parser
  // refuses deep nesting before anything recurses into it.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const parsed = parseJsonBody(String(body));
    if (parsed.ok) done(null, parsed.value);
    else done(new HttpError(400, 'invalid_request', `body: ${parsed.message}`, 'body'), undefined);
  });

  // An API key we issued names its agency or board; any other request is counted by its address.
  limitRequests(app, options.limits ?? defaultRateLimits, (request) => {
    const caller = identify(request, keys);
    return caller ? callerId(caller) : undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    options.log?.(`${request.method} ${request.routeOptions.url ?? '(no route)'} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)}ms`);
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof RateLimited) {
      reply.header('retry-after', String(error.retryAfterSeconds));
      // The decision and answer links are pages a person opens: they get a page, not JSON.
      if (/^\/(decisions|answers)\//.test(request.url)) return decisionPage(reply, 429, 'Too many requests', `Too many requests came from your connection in the last minute. Wait ${error.retryAfterSeconds} seconds, then open the link again. Nothing was recorded.`);
      return send(reply, 429, 'rate_limited', error.message);
    }
    if (error instanceof HttpError) return send(reply, error.status, error.code, error.message, error.field);
    if (error instanceof DisputeFailure) {
      // Temporal down or busy passes: the caller may try again in a second.
      if (error.kind === 'unavailable') reply.header('retry-after', '1');
      return send(reply, statusOf[error.kind], codeOf[error.kind], error.message, error.field);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(reply, status, 'invalid_request', (error as Error).message);
    }
    options.log?.(`internal error: ${(error as Error)?.name ?? 'unknown'}`);
    return send(reply, 500, 'internal', 'the request could not be completed; nothing was changed by it, try again');
  });
  app.setNotFoundHandler((request, reply) => send(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));

  function route<B, Q>(doc: RouteDoc & { body?: z.ZodType<B>; query?: z.ZodType<Q> }, handler: (context: { caller: Caller; body: B; query: Q; params: { disputeId: string }; request: FastifyRequest; reply: FastifyReply }) => Promise<unknown>) {
    docs.push(doc);
    app.route({
      method: doc.method,
      url: doc.path.replace(/\{(\w+)\}/g, ':$1'),
      handler: async (request, reply) => {
        const caller = callerOf(request, keys);
        const params = doc.path.includes('{disputeId}') ? parse(DisputeParams, request.params, 'path') : { disputeId: '' };
        const body = doc.body ? parse(doc.body, request.body, 'body') : (undefined as B);
        const query = doc.query ? parse(doc.query, request.query, 'query') : (undefined as Q);
        return handler({ caller, body, query, params, request, reply });
      },
    });
  }

  route({ method: 'POST', path: '/disputes', summary: 'Start a dispute', body: NewDispute, idempotent: true, responses: { 201: 'started', 200: 'already started by this Idempotency-Key' } }, async ({ caller, body, request, reply }) => {
    const agencies = body.agencies.map((agency) => agency.agencyId);
    if (caller.kind === 'agency' && !agencies.includes(caller.agencyId)) {
      throw new HttpError(403, 'forbidden', `agencies: ${caller.name} may only start a dispute it is party to`, 'agencies');
    }
    // As the raise form: an agency raises a concern for itself, never in another agency's name.
    if (caller.kind === 'agency' && agencies[0] !== caller.agencyId) {
      throw new HttpError(403, 'forbidden', `agencies.0.agencyId: ${caller.name} may start a dispute only as its raising agency (the first of agencies)`, 'agencies.0.agencyId');
    }
    if (caller.kind === 'board' && disputes.context.policies.find(body.policy)?.board.id !== caller.boardId) {
      throw new HttpError(403, 'forbidden', `policy: this key may only start disputes under ${caller.boardId}'s policy`, 'policy');
    }
    const key = idempotencyKey(request);
    const { disputeId, created } = await openDispute(disputes, body, key ? { caller: callerId(caller), key, sameRequest: true } : undefined);
    reply.code(created ? 201 : 200).header('location', `/disputes/${disputeId}`);
    return { disputeId, created };
  });

  route({ method: 'GET', path: '/disputes', summary: 'List disputes from the records store (board, agency, status, stage, outcome, category, risk, overdue, started/closed range), a page at a time', query: ListFilter, responses: { 200: 'the disputes' } }, async ({ caller, query }) => {
    // An agency sees its own disputes; a board, its board's.
    if (caller.kind === 'agency' && query.agency && query.agency !== caller.agencyId) return { disputes: [] };
    if (caller.kind === 'board' && query.board && query.board !== caller.boardId) return { disputes: [] };
    const scoped = caller.kind === 'agency' ? { ...query, agency: caller.agencyId } : { ...query, board: caller.boardId };
    const page = await listDisputePage(disputes, scoped);
    // A list shows report fields only (no personal data): one entry for the call, not one per dispute.
    await recordAccess(disputes, [{ disputeId: null, channel: 'api', action: 'list', who: readerOf(caller), detail: `${page.disputes.length} dispute(s), report fields only` }]);
    return page;
  });

  route({ method: 'GET', path: '/disputes/{disputeId}', summary: 'One dispute: state, deadlines, who is awaited, event log (the read is recorded in its access log)', responses: { 200: 'the dispute' } }, async ({ caller, params }) => {
    // A refused read (404) discloses nothing and is not recorded: an unknown id must not add rows.
    const view = await visibleDispute(disputes, caller, params.disputeId);
    await recordAccess(disputes, [{ disputeId: params.disputeId, channel: 'api', action: 'show', who: readerOf(caller) }]);
    return view;
  });

  const action = (path: string, summary: string, operation: Operation, body: z.ZodType<{ by: string }>) =>
    route(
      { method: 'POST', path: `/disputes/{disputeId}/${path}`, summary, body, idempotent: true, responses: { 200: 'accepted: the dispute as it now stands', 409: 'the stage has passed or the dispute is closed' } },
      async ({ caller, body: input, params, request }) => {
        const key = idempotencyKey(request);
        const parties = await actionableDispute(disputes, caller, params.disputeId);
        const requestId = key ? `${callerId(caller)}:${operation}:${key}` : undefined;
        if (operation === 'changeContact') mayChangeContact(disputes, caller, parties, input as unknown as ChangeContactInput);
        await mustSpeakFor(disputes, caller, parties, params.disputeId, input.by);
        // Only the parsed value goes to the workflow: its history keeps exactly what the schema names.
        // Its validator has the last word (the stage, who is a party of it, whether the dispute is open);
        // a retry whose first answer was lost (perhaps closing the dispute) gets that answer.
        try {
          return await act(disputes, params.disputeId, operation, input, requestId, key);
        } catch (error) {
          // The workflow refusing the person named: the field is `by`, as when the API refuses it.
          if (error instanceof DisputeFailure && error.kind === 'forbidden' && !error.field && error.message.toLowerCase().startsWith(`${input.by.toLowerCase()} `)) {
            throw new DisputeFailure('forbidden', error.message, 'by');
          }
          throw error;
        }
      },
    );
  action('outcome', 'Record an outcome: resolved (agreed actions), unresolved (reason), or the board’s decision', 'recordOutcome', OutcomeInput);
  action('representations', 'A party’s written representation to the board at the last stage (its last-stage contact)', 'submitRepresentation', RepresentationInput);
  action('risk', 'Raise the risk', 'raiseRisk', RaiseRiskInput);
  action('withdraw', 'Withdraw the concern (raising agency)', 'withdraw', WithdrawInput);
  action('contacts', 'Change a tier’s contact for this dispute', 'changeContact', ChangeContactInput);
  action('notes', 'Add a note', 'addNote', NoteInput);
  action('rationale', 'An organisation’s own decision and rationale where an unresolved stage closes the dispute (Leeds stage 3; its stage contact or safeguarding lead)', 'recordRationale', RationaleInput);
  action('answer', 'The answer to a closed dispute’s form question (North Somerset: how effective the procedure was; the raising practitioner)', 'answerForm', AnswerInput);

  if (options.decisions) registerDecisionPages(app, { ...options.decisions, disputes });
  if (options.codec) registerCodec(app, { ...options.codec, accessLog: options.codec.accessLog ?? disputes.accessLog });
  if (options.web) registerWebPages(app, { ...options.web, disputes });
  app.get('/openapi.json', async () => openApiDocument(docs));
  app.get('/health', async (_request, reply) => {
    const checks: Record<string, () => Promise<unknown>> = { temporal: () => checkTemporal(disputes), ...(options.health ?? {}) };
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${healthCheckMs} ms`)), healthCheckMs)));
        try {
          await Promise.race([check(), late]);
          return [name, 'up'] as const;
        } catch {
          return [name, 'down'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const down = results.filter(([, state]) => state === 'down').map(([name]) => name);
    return reply.code(down.length ? 503 : 200).send({ ok: down.length === 0, checks: Object.fromEntries(results), ...(down.length ? { down } : {}) });
  });
  return app;
}

function send(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: code, message, ...(field ? { field } : {}) });
}
