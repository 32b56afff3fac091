import type { DisputeRecord, DisputeStartInput } from './model';
import { runPreview } from './workflow';

export interface DisputePreviewInput {
  start: DisputeStartInput;
  /** Added to the server's clock, so a preview can start at any concern instant. */
  clockOffsetMs: number;
}

/**
 * `dispute simulate` and the time-skipping tests: the dispute workflow on a shifted clock. Only the
 * bundle in workflows/preview.ts registers it; the production worker's bundle does not, so no
 * starter can shift a real dispute's clock.
 */
export async function disputePreview(input: DisputePreviewInput): Promise<DisputeRecord> {
  return runPreview(input.start, input.clockOffsetMs);
}
