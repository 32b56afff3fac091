import { describe, expect, it } from 'vitest';
import { buildDisputeStart } from '../../client/disputes';
import * as production from '../../workflows/index';
import * as preview from '../../workflows/preview';
import { disputeState, withdraw } from '../../workflows/dispute/messages';
import { context, twoAgencies, useDisputeKit } from '../support/disputes';

// Issue 13, finding 15: `previewClockOffsetMs` in the start input let any starter with Temporal
// access shift a real dispute's clock. The shifted clock is now a separate workflow type that only
// the preview bundle (the simulator's and the tests' workers) registers.
const kit = useDisputeKit();
const DAY = 86_400_000;

describe('the preview clock', () => {
  it('is not in the production worker’s bundle, which registers every other workflow type', () => {
    expect(Object.keys(production)).not.toContain('disputePreview');
    expect(Object.keys(production)).toContain('dispute');
    expect(Object.keys(preview).sort()).toEqual([...Object.keys(production), 'disputePreview'].sort());
  });

  it('a production dispute started with previewClockOffsetMs runs on the real clock', async () => {
    const serverNow = await kit.env.currentTimeMs();
    const concernAt = new Date(serverNow).toISOString();
    const start = buildDisputeStart(
      { policy: 'norfolk-nsab', concernAt, category: 'abuse', agencies: twoAgencies('norfolk', 'gp', 'asc'), personReference: 'NCC-1', summary: 'Clock test.' },
      context,
      { disputeId: `clock-${Math.random().toString(36).slice(2, 10)}`, now: serverNow },
    );
    // A hostile starter adds the old field: thirty days ahead.
    const handle = await kit.env.client.workflow.start('dispute', {
      taskQueue: kit.taskQueue,
      workflowId: start.disputeId,
      args: [{ ...start, previewClockOffsetMs: 30 * DAY }],
    });
    try {
      let view = await handle.query(disputeState);
      for (let tries = 0; tries < 100 && view.events.length === 0; tries++) view = await handle.query(disputeState);
      const entered = Date.parse(view.enteredStageAt);
      expect(Math.abs(entered - serverNow)).toBeLessThan(60_000);
      // Norfolk: 5 working days for stage 1, from the real instant, not a month on.
      expect(Date.parse(view.deadlines.concludeBy!) - serverNow).toBeLessThan(10 * DAY);
    } finally {
      // Ended in-band: a workflow terminated under the test server can keep its time locked.
      await handle.executeUpdate(withdraw, { args: [{ by: start.parties[0]!.practitioner.email, reason: 'The test has finished.' }] });
      await handle.result();
    }
  });
});
