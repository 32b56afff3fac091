import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { createCalendar, DAY, type Calendar } from '../../policies/calendar';
import { fromLondon, parseIsoDate } from '../../policies/calendar/civil';
import { calendarConfigFor } from '../../policies/calendar/sources';
import { agenciesOfBoard } from '../../policies/directory';
import type { Policy } from '../../policies/schema';
import type { MailSettings } from '../../activities/email/activities';
import { mailTransport } from '../../activities/email/activities';
import { readAwaiting, readStoredDispute, type StoredDispute } from '../../records/read';
import { boardLog, reportFigures, type ReportFigures } from '../../records/reports';
import type { RecordsDatabase } from '../../records/schema';
import type { DisputeView } from '../../workflows/dispute/model';
import { maySee } from '../access';
import { htmlPage } from '../page-headers';
import { RateLimited } from '../api/rate-limits';
import { act, DisputeFailure, openDispute, readDispute, recordAccess, type Disputes, type FailureKind } from '../operations';
import { ACCESS_PAGE_SIZE, type AccessChannel, type Reader, type ReaderKind } from '../../records/access-log';
import { z } from 'zod';
import { barChart, funnelChart } from './charts';
import { decisionLines, disputeRecord } from './dispute-record';
import * as forms from './forms';
import { boardsOf, findPerson, mayRecordLastStage, type Person } from './people';
import { createRenderer, govukDist, viewsDir } from './render';
import { cookieValue, csrfMatches, SESSION_COOKIE, SESSION_LIFETIME_MS, sessionCookie, Sessions, type Session } from './sessions';
import { SignInLinks } from './sign-in';
import { SIGN_IN_FORM_COOKIE, signInFormCookie, SignInFormTokens } from './sign-in-form';
import { reportTables, tableCsv } from './tables';

// The board pages, under /web: sign-in by emailed link, the board's log, a dispute and its
// actions, raising a concern, and reports. Server-rendered, working without JavaScript. Every
// POST checks the session's CSRF token (the sign-in form, its own: ./sign-in-form); every input is
// parsed by ./forms; nothing a browser sends gives a 5xx.

export interface WebOptions {
  disputes: Disputes;
  records: Kysely<RecordsDatabase>;
  /** Signs sign-in links (REPLY_SECRET). */
  secret: string;
  /** Sign-in emails go through the same SMTP settings as every other email. */
  mail: MailSettings;
  /** The address browsers reach the service at; https makes the session cookie Secure. */
  publicUrl: string;
  log?: (line: string) => void;
  now?: () => number;
}

const PAGE_SIZE = 25;
const BODY_LIMIT = 64 * 1024;

class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Stands in for a session on a page that must make none (a refused request, the sign-in form). */
const noSession = (): Session => ({ id: '', csrf: '', person: null, expires: 0, ends: 0 });
const formExpired = () => new PageError(403, 'This form has expired', 'The form was not sent from this service’s page, or your session has ended. Go back, reload the page and try again.');
const notFound = () => new PageError(404, 'Page not found', 'There is no dispute or page here that you can see. Check the address, or go back to the board’s log.');
const failureStatus: Record<FailureKind, number> = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409, 'not-allowed': 422, 'key-reused': 422, unavailable: 503 };

export function registerWebPages(app: FastifyInstance, options: WebOptions): void {
  app.register(async (scope) => webPages(scope, options), { prefix: '/web' });
}

async function webPages(app: FastifyInstance, options: WebOptions): Promise<void> {
  const { disputes, records } = options;
  const { directory, policies, holidays } = disputes.context;
  const now = () => options.now?.() ?? Date.now();
  const render = createRenderer();
  const secure = options.publicUrl.startsWith('https:');
  const base = options.publicUrl.replace(/\/$/, '');
  const officeCalendar = createCalendar(calendarConfigFor('england-and-wales', holidays));
  // Idle for a working day (a session touched on Friday afternoon lasts until Monday afternoon), within its lifetime (./sessions).
  const sessions = new Sessions((at) => officeCalendar.addWorkingDays(new Date(at), 1).getTime(), now);
  const links = new SignInLinks(options.secret, now);
  const formTokens = new SignInFormTokens(options.secret, now);
  /** Requests whose signed-in session had just reached its lifetime: they are sent to sign in again, told why. */
  const lifetimeOver = new WeakSet<FastifyRequest>();
  const signInAgain = (request: FastifyRequest) => (lifetimeOver.has(request) ? '/web/sign-in?ended=lifetime' : '/web/sign-in');
  const transport = mailTransport(options.mail);
  const calendars = new Map<string, Calendar>();
  const boardPolicy = (board: string): Policy | undefined =>
    policies
      .list()
      .filter((policy) => policy.board.id === board)
      .sort((a, b) => b.version - a.version)[0];
  const calendarOf = (board: string) => {
    let calendar = calendars.get(board);
    if (!calendar) {
      calendar = createCalendar(calendarConfigFor(boardPolicy(board)?.board.division ?? 'england-and-wales', holidays));
      calendars.set(board, calendar);
    }
    return calendar;
  };
  const boardName = (board: string) => boardPolicy(board)?.board.name ?? board;
  const agencyName = (id: string) => directory.agencies.find((agency) => agency.id === id)?.name ?? id;

  // Forms only: the API's JSON (and anything else) is a 415 here.
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) app.removeContentTypeParser('application/x-www-form-urlencoded');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => {
    try {
      done(null, forms.parseFormBody(String(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Sessions, pages and errors.

  interface Context {
    request: FastifyRequest;
    reply: FastifyReply;
    session: Session;
  }

  function sessionOf(request: FastifyRequest, reply: FastifyReply): Session {
    const found = sessions.touch(cookieValue(request.headers.cookie, SESSION_COOKIE));
    if (found === 'lifetime') lifetimeOver.add(request);
    else if (found) return found;
    const created = sessions.create(null);
    reply.header('set-cookie', sessionCookie(created.id, secure));
    return created;
  }

  function page(context: Context, view: string, data: Record<string, unknown>, status = 200) {
    const person = context.session.person;
    const board = (data.board as string | undefined) ?? (person ? boardsOf(directory, person)[0] : undefined);
    const path = context.request.url.split('?')[0];
    const nav = person
      ? [
          { href: '/web/overview', text: 'Board log', active: path === '/web/overview' },
          ...(person.agencies.length ? [{ href: '/web/raise', text: 'Raise a concern', active: path === '/web/raise' }] : []),
          ...(person.boards.length ? [{ href: '/web/reports', text: 'Reports', active: path?.startsWith('/web/reports') }] : []),
        ]
      : [];
    // The template's one inline script (it marks the page as having JavaScript) runs by its nonce; nothing else inline does.
    const cspNonce = randomBytes(16).toString('base64');
    return htmlPage(
      context.reply,
      status,
      `default-src 'self'; script-src 'self' 'nonce-${cspNonce}'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`,
    ).send(render(view, { ...data, person, csrf: context.session.csrf, cspNonce, serviceName: board ? boardName(board) : 'Safeguarding disputes', nav }));
  }

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof RateLimited) {
      // No session is made or touched for a refused request: a flood must not push people's sessions out.
      reply.header('retry-after', String(error.retryAfterSeconds));
      return page({ request, reply, session: noSession() }, 'message.njk', { title: 'Too many requests', message: `Too many requests came from your connection in the last minute. Wait ${error.retryAfterSeconds} seconds, then try again. Nothing was changed.` }, 429);
    }
    const session = sessionOf(request, reply);
    const context = { request, reply, session };
    if (error instanceof PageError) return page(context, 'message.njk', { title: error.title, message: error.message }, error.status);
    if (error instanceof forms.FormError) return page(context, 'message.njk', { title: 'There is a problem with what was sent', message: `${error.field ? `${error.field}: ` : ''}${error.message}` }, 400);
    if (error instanceof DisputeFailure) {
      const title = error.kind === 'not-found' ? 'Page not found' : error.kind === 'unavailable' ? 'Sorry, the service is unavailable' : 'Nothing was changed';
      return page(context, 'message.njk', { title, message: error.message }, failureStatus[error.kind]);
    }
    const status = (error as { statusCode?: number; status?: number }).statusCode ?? (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return page(context, 'message.njk', { title: 'There is a problem with what was sent', message: status === 413 ? 'The form is too large.' : 'The request could not be read.' }, status);
    }
    options.log?.(`web: internal error: ${(error as Error)?.name ?? 'unknown'}`);
    return page(context, 'message.njk', { title: 'Sorry, there is a problem with the service', message: 'Nothing was changed. Try again later.' }, 500);
  });
  app.setNotFoundHandler((request, reply) => {
    const session = sessionOf(request, reply);
    const error = notFound();
    return page({ request, reply, session }, 'message.njk', { title: error.title, message: error.message }, 404);
  });

  /** A page for anyone; `signedIn` pages send the anonymous to sign in. */
  function get<Q>(path: string, handler: (context: Context & { person: Person; query: Q; params: Record<string, string> }) => Promise<unknown>, query?: import('zod').ZodType<Q>) {
    app.get(path, async (request, reply) => {
      const session = sessionOf(request, reply);
      if (!session.person) return reply.redirect(signInAgain(request), 303);
      const parsedQuery = query ? forms.parseWith(query, request.query) : (undefined as Q);
      return handler({ request, reply, session, person: session.person, query: parsedQuery, params: request.params as Record<string, string> });
    });
  }

  function post<B>(
    path: string,
    schema: import('zod').ZodType<B>,
    handler: (context: Context & { person: Person; body: B; params: Record<string, string> }) => Promise<unknown>,
    anonymous = false,
    /** Shows the form again with the problem, instead of an error page. */
    invalid?: (context: Context & { person: Person; raw: Record<string, unknown> }, error: forms.FormError) => unknown,
  ) {
    app.post(path, async (request, reply) => {
      const session = sessionOf(request, reply);
      // Nothing is done with a form sent after the session's lifetime; the person signs in again first.
      if (lifetimeOver.has(request)) return reply.redirect(signInAgain(request), 303);
      const raw = (request.body ?? {}) as Record<string, unknown>;
      if (!csrfMatches(session, raw.csrf)) throw formExpired();
      if (!session.person && !anonymous) return reply.redirect(signInAgain(request), 303);
      const context = { request, reply, session, person: session.person!, params: request.params as Record<string, string> };
      try {
        return await handler({ ...context, body: forms.parseWith(schema, raw) });
      } catch (error) {
        if (invalid && (error instanceof forms.FormError || (error instanceof DisputeFailure && error.kind === 'invalid'))) {
          return invalid({ ...context, raw }, error instanceof forms.FormError ? error : new forms.FormError(error.message, error.field));
        }
        throw error;
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Static files: GOV.UK Frontend's CSS and JavaScript, and our own small additions.

  const assets: Record<string, { file: string; type: string }> = {
    'govuk-frontend.min.css': { file: join(govukDist, 'govuk/govuk-frontend.min.css'), type: 'text/css' },
    'govuk-frontend.min.js': { file: join(govukDist, 'govuk/govuk-frontend.min.js'), type: 'text/javascript' },
    'board.css': { file: join(viewsDir, '../static/board.css'), type: 'text/css' },
    'init.js': { file: join(viewsDir, '../static/init.js'), type: 'text/javascript' },
  };
  const loaded = new Map<string, Buffer>();
  app.get<{ Params: { name: string } }>('/static/:name', async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
    if (!asset) throw notFound();
    let content = loaded.get(request.params.name);
    if (!content) loaded.set(request.params.name, (content = readFileSync(asset.file)));
    return reply.header('content-type', `${asset.type}; charset=utf-8`).header('cache-control', 'public, max-age=3600').send(content);
  });

  // ---------------------------------------------------------------------------------------------
  // Signing in and out.

  app.get('/', async (request, reply) => reply.redirect(sessionOf(request, reply).person ? '/web/overview' : signInAgain(request), 303));

  // The form makes no server session: its token is bound to a cookie of its own (./sign-in-form).
  app.get('/sign-in', async (request, reply) => {
    const { ended } = forms.parseWith(forms.SignInQuery, request.query);
    const found = sessions.touch(cookieValue(request.headers.cookie, SESSION_COOKIE));
    const session = found && found !== 'lifetime' ? found : noSession();
    const { cookie, token } = formTokens.issue(cookieValue(request.headers.cookie, SIGN_IN_FORM_COOKIE));
    reply.header('set-cookie', signInFormCookie(cookie, secure));
    return page({ request, reply, session }, 'sign-in.njk', { formToken: token, ended, lifetimeHours: SESSION_LIFETIME_MS / 3_600_000 });
  });

  app.post('/sign-in', async (request, reply) => {
    const raw = (request.body ?? {}) as Record<string, unknown>;
    if (!formTokens.matches(cookieValue(request.headers.cookie, SIGN_IN_FORM_COOKIE), raw.csrf)) throw formExpired();
    const { email } = forms.parseWith(forms.SignInForm, raw);
    // The session the link will sign in: this browser's, or a new one if it had none (or lost it).
    const session = sessionOf(request, reply);
    const person = findPerson(directory, email);
    const token = person ? links.issue(person.email, session.id) : null;
    if (person && token) {
      sessions.asked(session);
      const link = `${base}/web/sign-in/${token}`;
      // Not awaited: a known address must not answer more slowly than an unknown one.
      transport
        .sendMail({
          from: options.mail.from,
          to: person.email,
          subject: 'Your sign-in link for the safeguarding disputes service',
          text: `Sign in to the safeguarding disputes service with this link. It works once, for 15 minutes:\n\n${link}\n\nIf you did not ask to sign in, ignore this email.\n`,
          headers: { 'Auto-Submitted': 'auto-generated' },
        })
        .catch((error: unknown) => options.log?.(`web: sign-in email not sent (${(error as { responseCode?: number; code?: string })?.responseCode ?? (error as { code?: string })?.code ?? 'error'})`));
    }
    return page({ request, reply, session }, 'check-email.njk', {});
  });

  const linkRefusals = {
    altered: ['This link is not valid', 'The link has been changed or was not sent by this service. Ask for a new link.'],
    expired: ['This link has expired', 'Sign-in links work for 15 minutes. Ask for a new link.'],
    used: ['This link has been used', 'Each sign-in link works once. Ask for a new link.'],
    elsewhere: ['Open this link in the browser where you asked for it', 'A sign-in link works only in the browser where it was asked for, and nobody has been signed in. Open it there, or ask for a new link here.'],
  } as const;
  const refusalStatus = { altered: 404, expired: 410, used: 410, elsewhere: 403 } as const;

  app.get<{ Params: { token: string } }>('/sign-in/:token', async (request, reply) => {
    const context = { request, reply, session: sessionOf(request, reply) };
    // Opening the link only shows a button: mail scanners follow links, and must not use them up.
    const checked = links.check(request.params.token, context.session.id);
    if (!checked.ok) {
      const [title, message] = linkRefusals[checked.reason];
      return page(context, 'message.njk', { title, message, signInAgain: true }, refusalStatus[checked.reason]);
    }
    return page(context, 'sign-in-link.njk', { token: request.params.token });
  });

  post(
    '/sign-in/:token',
    forms.CsrfOnly,
    async (context) => {
      const redeemed = links.redeem(context.params.token ?? '', context.session.id);
      if (!redeemed.ok) {
        const [title, message] = linkRefusals[redeemed.reason];
        return page(context, 'message.njk', { title, message, signInAgain: true }, refusalStatus[redeemed.reason]);
      }
      const person = findPerson(directory, redeemed.email);
      if (!person) throw new PageError(403, 'You cannot sign in', 'Your address is no longer in the agency directory.');
      // A new session (and cookie) at sign-in, so an anonymous session id known to someone else is worth nothing.
      sessions.end(context.session.id);
      const session = sessions.create(person);
      return context.reply.header('set-cookie', sessionCookie(session.id, secure)).redirect('/web/overview', 303);
    },
    true,
  );

  post(
    '/sign-out',
    forms.CsrfOnly,
    async (context) => {
      sessions.end(context.session.id);
      return context.reply.header('set-cookie', sessionCookie('', secure, true)).redirect('/web/sign-in', 303);
    },
    true,
  );

  // ---------------------------------------------------------------------------------------------
  // The board's log.

  const boardParam = (person: Person, requested: string | undefined) => {
    const boards = boardsOf(directory, person);
    if (requested && !boards.includes(requested)) throw notFound();
    const board = requested ?? boards[0];
    if (!board) throw new PageError(403, 'No board', 'Your address is not linked to any board.');
    return { board, boards };
  };
  const londonDay = (day: string) => new Date(fromLondon(parseIsoDate(day) * DAY));

  get(
    '/overview',
    async (context) => {
      const { person, query } = context;
      const { board, boards } = boardParam(person, query.board);
      const nowDate = new Date(now());
      const calendar = calendarOf(board);
      const { rows, total } = await boardLog(records, {
        board,
        partyOf: person.boards.includes(board) ? undefined : person.agencies,
        agency: query.agency,
        status: query.status === 'all' ? undefined : query.status,
        stage: query.stage,
        category: query.category,
        from: query.from ? londonDay(query.from) : undefined,
        to: query.to ? new Date(londonDay(query.to).getTime() + DAY) : undefined,
        page: query.page,
        limit: PAGE_SIZE,
      });
      // The log shows report fields and the awaited agencies' names only: one entry for the page, none per dispute.
      await recordAccess(disputes, [{ disputeId: null, channel: 'web', action: 'list', who: readerOf(person, board), detail: `${rows.length} dispute(s) of ${board}, report fields only` }]);
      const awaitingOf = await readAwaiting(records, rows.map((row) => row.dispute_id));
      const soon = calendar.addWorkingDays(nowDate, 2);
      const disputesShown = rows.map((row) => ({
        id: row.dispute_id,
        stage: row.stage,
        tier: row.tier,
        risk: row.risk,
        status: row.status,
        category: row.category,
        deadline: row.deadline,
        flag: row.status !== 'open' || !row.deadline ? null : row.deadline < nowDate ? 'overdue' : row.deadline <= soon ? 'due-soon' : null,
        awaiting: (awaitingOf.get(row.dispute_id) ?? []).map((entry) => entry.agency).join('; '),
      }));
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const pageLink = (n: number) => `/web/overview?${new URLSearchParams(Object.entries({ ...query, page: String(n) }).filter(([, v]) => v !== undefined && v !== '').map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
      return page(context, 'overview.njk', {
        board,
        boards: boards.map((id) => ({ value: id, text: boardName(id), selected: id === board })),
        filters: query,
        agencies: agenciesOfBoard(directory, board).map((agency) => ({ value: agency.id, text: agency.name, selected: agency.id === query.agency })),
        stages: (boardPolicy(board)?.stages ?? []).map((stage) => ({ value: String(stage.stage), text: `Stage ${stage.stage}`, selected: stage.stage === query.stage })),
        disputes: disputesShown,
        total,
        pagination: {
          ...(query.page > 1 ? { previous: { href: pageLink(query.page - 1) } } : {}),
          ...(query.page < pages ? { next: { href: pageLink(query.page + 1) } } : {}),
          items: pageNumbers(query.page, pages).map((n) => (n === null ? { ellipsis: true } : { number: n, href: pageLink(n), current: n === query.page })),
        },
        pages,
      });
    },
    forms.LogQuery,
  );

  // ---------------------------------------------------------------------------------------------
  // One dispute.

  async function visibleDispute(person: Person, disputeId: string): Promise<{ view: DisputeView; stored: StoredDispute | null }> {
    const stored = await readStoredDispute(records, disputeId);
    // Just raised, not yet in the store: the workflow answers for itself.
    const view = stored?.view ?? (await readDispute(disputes, disputeId).catch(() => null));
    if (!view || !maySee(person, { board: view.board, agencies: view.agencies.map((agency) => agency.id) })) throw notFound();
    return { view, stored };
  }

  const disputeIdOf = (params: Record<string, string>) => forms.parseWith(forms.DisputeParams, params).disputeId;

  get('/disputes/:disputeId', async (context) => {
    const disputeId = disputeIdOf(context.params);
    const { view, stored } = await visibleDispute(context.person, disputeId);
    await recordAccess(disputes, [{ disputeId, channel: 'web', action: 'show', who: readerOf(context.person, view.board) }]);
    const policy = policies.find(view.policy.id, view.policy.version);
    const last = policy?.stages[policy.stages.length - 1]?.stage ?? 0;
    const entered = view.events.filter((event) => event.type === 'stage-entered');
    const closed = view.events.find((event) => event.type === 'closed');
    const nowDate = new Date(now());
    const timeline = entered.map((event, index) => {
      const ended = entered[index + 1]?.at ?? closed?.at ?? null;
      const deadline = event.type === 'stage-entered' ? event.deadline : null;
      const passed = deadline ? (ended ? ended > deadline : nowDate.toISOString() > deadline) : false;
      const stageInfo = policy?.stages.find((stage) => stage.stage === event.stage);
      return { stage: event.stage, title: stageInfo?.title ?? `Stage ${event.stage}`, entered: event.at, deadline, ended, passed, open: !ended };
    });
    const decisions = (stored?.decisions ?? view.events.flatMap((event) => (event.type === 'outcome' ? [{ stage: event.stage, decision: event.decision, by: event.by ?? '', at: event.at, text: event.agreedActions ?? event.reason ?? '', record: event.record }] : []))).map(
      (decision) => ({ ...decision, lines: decisionLines(view, decision.record) }),
    );
    const notes = stored?.notes ?? view.events.flatMap((event) => (event.type === 'note' ? [{ at: event.at, by: event.by ?? '', text: event.text }] : []));
    const person = context.person;
    const myAgencies = view.agencies.filter((agency) => person.agencies.includes(agency.id) || person.boards.includes(view.board));
    return page(context, 'dispute.njk', {
      board: view.board,
      view,
      stored,
      timeline,
      decisions,
      notes,
      record: disputeRecord(view, stored, policy),
      policy,
      isLast: view.stage === last,
      open: view.status === 'open',
      mayDecide: view.status === 'open' && view.stage === last && mayRecordLastStage(person, view, policy, directory),
      mayReadAccessLog: Boolean(disputes.accessLog) && person.boards.includes(view.board),
      awaitingText: view.awaiting.map((entry) => entry.agency).join('; '),
      contactAgencies: myAgencies.map((agency) => ({ value: agency.id, text: agency.name })),
      done: (context.query as { done?: string } | undefined)?.done,
    });
  }, forms.DoneQuery);

  // Who has read a dispute: its board's officers only. Anyone else (an agency's people, another
  // board's officers) gets the same 404 as for a dispute that does not exist.
  get(
    '/disputes/:disputeId/access-log',
    async (context) => {
      const disputeId = disputeIdOf(context.params);
      const accessLog = disputes.accessLog;
      const stored = await records.selectFrom('disputes').select('board').where('dispute_id', '=', disputeId).executeTakeFirst();
      const board = stored?.board ?? (await readDispute(disputes, disputeId).catch(() => null))?.board;
      if (!accessLog || !board || !context.person.boards.includes(board)) throw notFound();
      const pageNumber = context.query.page;
      const { entries, total } = await accessLog.read(disputeId, pageNumber);
      const pages = Math.max(1, Math.ceil(total / ACCESS_PAGE_SIZE));
      const link = (n: number) => `/web/disputes/${disputeId}/access-log?page=${n}`;
      return page(context, 'access-log.njk', {
        board,
        disputeId,
        total,
        entries: entries.map((entry) => ({ ...entry, kindText: readerKindText[entry.whoKind] ?? entry.whoKind, channelText: channelText[entry.channel] ?? entry.channel })),
        pages,
        pagination: {
          ...(pageNumber > 1 ? { previous: { href: link(pageNumber - 1) } } : {}),
          ...(pageNumber < pages ? { next: { href: link(pageNumber + 1) } } : {}),
          items: pageNumbers(pageNumber, pages).map((n) => (n === null ? { ellipsis: true } : { number: n, href: link(n), current: n === pageNumber })),
        },
      });
    },
    AccessLogQuery,
  );

  const afterAction = (context: Context, disputeId: string, done: string) => context.reply.redirect(`/web/disputes/${disputeId}?done=${done}`, 303);

  post('/disputes/:disputeId/notes', forms.NoteForm, async (context) => {
    const disputeId = disputeIdOf(context.params);
    await visibleDispute(context.person, disputeId);
    await act(disputes, disputeId, 'addNote', { by: context.person.email, text: context.body.text }, `web:${context.session.id.slice(0, 16)}:note:${randomBytes(6).toString('hex')}`);
    return afterAction(context, disputeId, 'note');
  });

  post('/disputes/:disputeId/contacts', forms.ContactForm, async (context) => {
    const disputeId = disputeIdOf(context.params);
    const { view } = await visibleDispute(context.person, disputeId);
    const { agencyId, stage, name, email, reason } = context.body;
    if (!context.person.boards.includes(view.board) && !context.person.agencies.includes(agencyId)) {
      throw new PageError(403, 'Nothing was changed', 'agencyId: you may change only your own agency’s contacts.');
    }
    await act(disputes, disputeId, 'changeContact', { agencyId, stage, contacts: [{ name, email }], by: context.person.email, reason });
    return afterAction(context, disputeId, 'contact');
  });

  post('/disputes/:disputeId/decision', forms.DecisionForm, async (context) => {
    const disputeId = disputeIdOf(context.params);
    const { view } = await visibleDispute(context.person, disputeId);
    if (!mayRecordLastStage(context.person, view, policies.find(view.policy.id, view.policy.version), directory)) {
      throw new PageError(403, 'Nothing was changed', 'Only the officers the board’s procedure names, or its panel, record the board’s decision.');
    }
    await act(disputes, disputeId, 'recordOutcome', { stage: context.body.stage, decision: 'decided', by: context.person.email, agreedActions: context.body.text });
    return afterAction(context, disputeId, 'decision');
  });

  // ---------------------------------------------------------------------------------------------
  // Raising a concern.

  get(
    '/raise',
    async (context) => {
      const { person } = context;
      if (person.agencies.length === 0) throw new PageError(403, 'Only agencies raise concerns', 'Raising a concern is for agencies’ people; board officers see them in the board’s log.');
      const boards = boardsOf(directory, { boards: [], agencies: person.agencies });
      const board = context.query.board && boards.includes(context.query.board) ? context.query.board : boards[0]!;
      return page(context, 'raise.njk', raiseData(person, board, {}));
    },
    forms.LogQuery,
  );

  function raiseData(person: Person, board: string, values: Record<string, unknown>, error?: { field?: string | undefined; message: string }) {
    const boards = boardsOf(directory, { boards: [], agencies: person.agencies });
    const agencies = agenciesOfBoard(directory, board);
    const own = agencies.filter((agency) => person.agencies.includes(agency.id));
    return {
      board,
      boards: boards.map((id) => ({ value: id, text: boardName(id), selected: id === board })),
      raisingAgencies: own.map((agency) => ({ value: agency.id, text: agency.name, selected: agency.id === values.raising })),
      otherAgencies: agencies
        .filter((agency) => !person.agencies.includes(agency.id))
        .map((agency) => ({ value: agency.id, text: agency.name, checked: ((values.agencies as string[] | undefined) ?? []).includes(agency.id) })),
      values,
      error,
      formId: (values.formId as string | undefined) ?? randomBytes(16).toString('base64url'),
    };
  }

  post('/raise', forms.RaiseForm, async (context) => {
    const { person, body } = context;
    const policy = boardPolicy(body.board);
    if (!policy || !boardsOf(directory, { boards: [], agencies: person.agencies }).includes(body.board)) throw new forms.FormError('not one of your boards', 'board');
    if (!person.agencies.includes(body.raising)) throw new forms.FormError('you may raise a concern only for your own agency', 'raising');
    const boardAgencies = agenciesOfBoard(directory, body.board);
    const others = [...new Set(body.agencies)].filter((id) => id !== body.raising);
    const parties = [];
    for (const id of others) {
      const agency = boardAgencies.find((candidate) => candidate.id === id);
      if (!agency) throw new forms.FormError(`'${id}' is not an agency of ${policy.board.name}`, 'agencies');
      const first = [...agency.tiers].sort((a, b) => a.stage - b.stage)[0]!.contacts[0]!;
      parties.push({ agencyId: id, practitioner: { name: first.name, email: first.email } });
    }
    if (parties.length === 0) throw new forms.FormError('choose at least one other agency', 'agencies');
    const { disputeId } = await openDispute(
      disputes,
      {
        policy: policy.id,
        concernAt: new Date(now()).toISOString(),
        category: body.category,
        risk: body.risk,
        agencies: [{ agencyId: body.raising, practitioner: { name: person.name, email: person.email } }, ...parties],
        personReference: body.personReference,
        summary: body.summary,
      },
      // The form's own id: sending it twice starts one dispute.
      { caller: `web:${person.email}`, key: body.formId },
    );
    let view: DisputeView | null = null;
    for (let attempt = 0; attempt < 20 && !view; attempt += 1) {
      view = await readDispute(disputes, disputeId).catch(() => null);
      if (!view) await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return page(context, 'raised.njk', { board: body.board, disputeId, view, policy });
  }, false, (context, error) => {
    const { raw, person } = context;
    const boards = boardsOf(directory, { boards: [], agencies: person.agencies });
    const board = typeof raw.board === 'string' && boards.includes(raw.board) ? raw.board : boards[0];
    if (!board) throw new PageError(403, 'Only agencies raise concerns', 'Raising a concern is for agencies’ people.');
    const values = { ...raw, agencies: raw.agencies === undefined ? [] : Array.isArray(raw.agencies) ? raw.agencies : [raw.agencies] };
    return page(context, 'raise.njk', raiseData(person, board, values, { field: error.field?.split('.')[0], message: error.message }), 400);
  });

  // ---------------------------------------------------------------------------------------------
  // Reports.

  function reportPeriod(query: { period?: string | undefined; from?: string | undefined; to?: string | undefined }) {
    const year = new Date(now()).getUTCFullYear();
    const period = query.period ?? String(year);
    if (period === 'custom') {
      if (!query.from || !query.to) throw new forms.FormError('a custom period needs both dates', query.from ? 'to' : 'from');
      if (query.to < query.from) throw new forms.FormError('the end is before the start', 'to');
      return { period, label: `${query.from} to ${query.to}`, from: londonDay(query.from), to: new Date(londonDay(query.to).getTime() + DAY), fromDay: query.from, toDay: query.to };
    }
    const [y, q] = period.split('-Q');
    const startMonth = q ? (Number(q) - 1) * 3 : 0;
    const endMonth = q ? startMonth + 3 : 12;
    const day = (yy: number, mm: number) => `${String(yy + Math.floor(mm / 12)).padStart(4, '0')}-${String((mm % 12) + 1).padStart(2, '0')}-01`;
    const fromDay = day(Number(y), startMonth);
    const toDay = day(Number(y), endMonth);
    return { period, label: q ? `${y} quarter ${q}` : `${y}`, from: londonDay(fromDay), to: londonDay(toDay), fromDay, toDay: null };
  }

  async function report(person: Person, query: forms.ReportQueryInput) {
    const { board, boards } = boardParam(person, query.board);
    if (!person.boards.includes(board)) throw new PageError(403, 'Reports are for the board’s officers', 'Reports cover every dispute of a board, so only its officers see them.');
    const period = reportPeriod(query);
    const figures: ReportFigures = await reportFigures(records, { board, from: period.from, to: period.to }, calendarOf(board));
    return { board, boards, period, figures, tables: reportTables(figures, agencyName) };
  }

  get(
    '/reports',
    async (context) => {
      const { board, boards, period, figures, tables } = await report(context.person, context.query);
      const search = new URLSearchParams({ board, period: period.period, ...(period.period === 'custom' ? { from: period.fromDay, to: period.toDay! } : {}) }).toString();
      return page(context, context.request.url.startsWith('/web/reports/print') ? 'report-print.njk' : 'report.njk', {
        board,
        boardTitle: boardName(board),
        boards: boards.filter((id) => context.person.boards.includes(id)).map((id) => ({ value: id, text: boardName(id), selected: id === board })),
        period,
        figures,
        search,
        tables: tables.map((table) => ({ ...table, chart: table.chart === 'funnel' ? funnelChart(table.bars) : table.chart === 'bars' ? barChart(table.bars) : null })),
      });
    },
    forms.ReportQuery,
  );
  app.get('/reports/print', async (request, reply) => reply.redirect(`/web/reports/annual?${request.url.split('?')[1] ?? ''}`, 303));
  get(
    '/reports/annual',
    async (context) => {
      const { board, period, figures, tables } = await report(context.person, context.query);
      return page(context, 'report-print.njk', {
        board,
        boardTitle: boardName(board),
        period,
        figures,
        tables: tables.map((table) => ({ ...table, chart: table.chart === 'funnel' ? funnelChart(table.bars) : table.chart === 'bars' ? barChart(table.bars) : null })),
      });
    },
    forms.ReportQuery,
  );
  get(
    '/reports/csv/:table',
    async (context) => {
      const { tables } = await report(context.person, context.query);
      const table = tables.find((candidate) => candidate.id === context.params.table);
      if (!table) throw notFound();
      return context.reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${table.id}.csv"`)
        .header('cache-control', 'no-store')
        .send(tableCsv(table));
    },
    forms.ReportQuery,
  );
}

/** A person on the board pages as the access log names them: an officer of the dispute's board, or an agency's. */
function readerOf(person: Person, board: string): Reader {
  return { kind: person.boards.includes(board) ? 'officer' : 'agency-person', name: `${person.name} <${person.email}>` };
}

const AccessLogQuery = z.object({ page: z.preprocess((value) => (value === undefined || value === '' ? 1 : value), z.coerce.number().int().min(1).max(100_000)) }).strict();

const readerKindText: Record<ReaderKind, string> = {
  'agency-key': 'an agency’s API key',
  'board-key': 'a board’s API key',
  officer: 'board officer',
  'agency-person': 'agency staff',
  operator: 'operator key',
  'cli-user': 'command-line user',
};
const channelText: Record<AccessChannel, string> = {
  api: 'API',
  cli: 'command line',
  web: 'board pages',
  codec: 'Temporal Web UI (codec)',
  export: 'records export',
};

/** Page numbers around the current one, with gaps as null. */
function pageNumbers(current: number, pages: number): (number | null)[] {
  const shown = [...new Set([1, current - 1, current, current + 1, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const out: (number | null)[] = [];
  shown.forEach((n, index) => {
    if (index > 0 && n - shown[index - 1]! > 1) out.push(null);
    out.push(n);
  });
  return out;
}
