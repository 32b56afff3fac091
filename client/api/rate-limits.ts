import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadConfig, rateLimits } from '../../runtime/config';

// A careless integrator looping on a write, or a script hammering sign-in or the link pages, must
// not load the worker and Temporal without bound. Each caller (its API key's agency or board where
// the key is one we issued, else its address) gets so many requests a window, writes fewer than
// reads. The counts live in the library's LRU store, capped at `callers`: a flood of addresses
// forgets the least recently seen instead of growing memory.

export interface RateLimits {
  /** Requests that start or change a dispute, or send mail, per caller per window. */
  writes: number;
  /** Every other request per caller per window. */
  reads: number;
  windowMs: number;
  /** Callers remembered at once. */
  callers: number;
}

/** The configuration's defaults: what a real integrator does not reach. */
export const defaultRateLimits: RateLimits = rateLimits(loadConfig({}));

export class RateLimited extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly write: boolean,
    readonly allowed: number,
  ) {
    super(`too many ${write ? 'writes' : 'requests'} from this caller: at most ${allowed} a minute; try again in ${retryAfterSeconds} s`);
  }
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The codec endpoint changes nothing; its POSTs are reads. */
const isWrite = (request: FastifyRequest) => !readMethods.has(request.method) && !request.url.startsWith('/codec/');

const unlimited = (request: FastifyRequest) => request.url === '/health' || request.url.startsWith('/health?');

/**
 * Limits every request but `/health`. `identify` names the caller from credentials it has checked
 * (never from a header it cannot verify); without one, the caller is its address. A refused request
 * throws RateLimited before its body is read, for the scope's error handler to answer in its own shape.
 */
export function limitRequests(app: FastifyInstance, limits: RateLimits, identify: (request: FastifyRequest) => string | undefined): void {
  const keyOf = (request: FastifyRequest) => `${isWrite(request) ? 'write' : 'read'} ${identify(request) ?? `address:${normalizeIP(request.ip)}`}`;
  app.register(rateLimit, {
    global: false,
    cache: limits.callers,
    timeWindow: limits.windowMs,
    keyGenerator: keyOf,
    max: (_request, key) => (key.startsWith('write ') ? limits.writes : limits.reads),
  });
  // The plugin's decorator exists once it has loaded, before the server takes any request.
  let check: ReturnType<FastifyInstance['createRateLimit']> | undefined;
  app.after((error) => {
    if (error) throw error;
    check = app.createRateLimit();
  });
  app.addHook('onRequest', async (request) => {
    if (unlimited(request)) return;
    const result = await check!(request);
    if (!result.isAllowed && result.isExceeded) throw new RateLimited(Math.max(1, result.ttlInSeconds), isWrite(request), result.max);
  });
}
