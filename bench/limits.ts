import type { RateLimits } from '../client/api/rate-limits';

/** A benchmark measures the service, not its rate limits: no caller here is ever refused. */
export const benchLimits: RateLimits = { writes: Number.MAX_SAFE_INTEGER, reads: Number.MAX_SAFE_INTEGER, windowMs: 60_000, callers: 100 };
