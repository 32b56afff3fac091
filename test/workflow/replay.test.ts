import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { boardStagePatch } from '../../workflows/dispute/workflow';
import { testDataConverter } from '../support/temporal';

// Histories recorded from the time-skipping tests (`RECORD_HISTORIES=1 npm test` refreshes them)
// replayed against the current workflow code: a change that would break running disputes fails here.
const DIR = 'test/fixtures/histories';

function recordedHistories() {
  return readdirSync(DIR)
    .filter((file) => file.endsWith('.history.bin'))
    .sort()
    .map((file) => ({ workflowId: file.replace('.history.bin', ''), history: proto.temporal.api.history.v1.History.decode(readFileSync(`${DIR}/${file}`)) }));
}

async function replay(codePath: string, histories: ReturnType<typeof recordedHistories>): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath }, dataConverter: testDataConverter }, histories)) results.push(result);
  return results;
}

describe('replay', () => {
  it('every recorded dispute history replays against the current workflow code', async () => {
    const histories = recordedHistories();
    expect(histories.map((history) => history.workflowId)).toEqual(
      expect.arrayContaining([
        'rotherham-nobody-decides',
        'leeds-abuse-nobody-decides',
        'contact-changed-then-resolved',
        'smtp-outage-retried',
        // Taken before the own-agency rule (an officer's change outside the agency's domains, another organisation's entry), and refused after it.
        'leeds-entries-and-officer-changes-before-own-agency-rule',
        'leeds-other-entry-signal-refused',
        // One agency's notes beyond its share: taken before the 'note-shares' patch, refused after it.
        'notes-beyond-one-agency-share-before-note-shares',
        'notes-beyond-one-agency-share',
      ]),
    );
    // Histories from before the board's stage (no patch marker) run the first rules; those after run the new ones.
    const patchedOnes = histories
      .filter((history) =>
        (history.history.events ?? []).some((event) => {
          const details = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
          return event.markerRecordedEventAttributes?.markerName === 'core_patch' && details && Buffer.from(details).toString().includes(boardStagePatch);
        }),
      )
      .map((history) => history.workflowId);
    expect(patchedOnes).toEqual(expect.arrayContaining(['rotherham-board-stage-decided', 'north-somerset-board-stage-decided-at-4', 'rotherham-nobody-decides-board-stage']));
    expect(patchedOnes).not.toContain('rotherham-nobody-decides');
    const results = await replay(inject('workflowBundlePath'), histories);
    expect(results.map((result) => [result.workflowId, result.error?.message ?? 'ok'])).toEqual(histories.map((history) => [history.workflowId, 'ok']));
  }, 180_000); // Replay is CPU-bound and grows with every recorded history: 8 s on a quiet machine, over 60 s at load 20.

  it('a workflow change that would break running disputes fails the replay', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve('test/fixtures/changed-dispute-workflow.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const path = `${process.cwd()}/.cache/changed-workflow-bundle.js`;
    writeFileSync(path, code);
    // A history of the `dispute` type, which the changed bundle still exports (the preview type it does not).
    const first = recordedHistories().filter((h) => h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name === 'dispute').slice(0, 1);
    const [result] = await replay(path, first);
    expect(result!.error).toBeDefined();
    expect(result!.error!.name).toMatch(/DeterminismViolation/);
  }, 60_000);
});
