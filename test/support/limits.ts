import { defaultRateLimits, type RateLimits } from '../../client/api/rate-limits';

/** For a file that floods the API on purpose to test something else; the limits have their own tests (test/api-rate-limits.test.ts). */
export const floodLimits: RateLimits = { ...defaultRateLimits, writes: 100_000, reads: 100_000 };
