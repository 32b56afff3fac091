import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFilterFromFlags, recordsExport } from '../../client/cli/records';
import { UsageError } from '../../client/cli/errors';
import type { Disputes } from '../../client/operations';
import { openRecordsStore } from '../../records/open';
import { saveRecord } from '../../records/write';
import { context } from '../support/disputes';
import { sampleWrite } from './sample';
import { testKeyRing } from '../support/temporal';

// The records commands' options as a person types them: a mistake names its flag (exit 2 in the CLI).

describe('dispute list and records export flags', () => {
  it('maps the list flags to the store filter, and a bad one names its flag', () => {
    expect(listFilterFromFlags({ board: 'rotherham-rsab', 'started-from': '2026-04-01', 'started-to': '2026-04-30', outcome: 'resolved', page: '2', overdue: true, json: true })).toEqual({
      board: 'rotherham-rsab',
      startedFrom: new Date('2026-03-31T23:00:00Z'), // London midnight (BST)
      startedTo: new Date('2026-04-30T23:00:00Z'), // the end date includes its day
      outcome: 'resolved',
      overdue: true,
      limit: 100,
      page: 2,
    });
    expect(() => listFilterFromFlags({ 'closed-from': '2026-05-01', 'closed-to': '2026-04-01' })).toThrow(new UsageError('--closed-to: the range runs backwards: closedTo must be after closedFrom'));
    expect(() => listFilterFromFlags({ category: 'gossip' })).toThrow(/^--category: /);
    expect(() => listFilterFromFlags({ limit: '1000' })).toThrow(/^--limit: /);
  });

  it('export refuses a missing board, an unknown format and a backwards range, naming the flag; writes CSV to stdout', async () => {
    const store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
    try {
      await saveRecord(store.db, sampleWrite());
      const disputes = { client: null as never, taskQueue: '', context, records: async () => store } satisfies Disputes;
      const out: string[] = [];
      await expect(recordsExport(disputes.records, { format: 'csv' }, (line) => out.push(line))).rejects.toThrow(/^--board: /);
      await expect(recordsExport(disputes.records, { board: 'rotherham-rsab', format: 'xlsx' }, (line) => out.push(line))).rejects.toThrow(/^--format: expected csv or json/);
      await expect(recordsExport(disputes.records, { board: 'rotherham-rsab', format: 'csv', from: '2026-05-01', to: '2026-04-01' }, (line) => out.push(line))).rejects.toThrow(/^--to: the range runs backwards/);
      expect(out).toEqual([]);
      expect(await recordsExport(disputes.records!, { board: 'rotherham-rsab', format: 'csv' }, (line) => out.push(line))).toBe(1);
      expect(out[0]!.split('\r\n')).toHaveLength(2);
      expect(out[0]!.split('\r\n')[1]).toMatch(/^rsab-sample,rotherham-rsab,/);
    } finally {
      await store.close();
    }
  });

  it('--output writes a file only its owner can read, and never over an existing file', async () => {
    const store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
    const old = process.umask(0o022); // as an operator's shell usually has it
    try {
      await saveRecord(store.db, sampleWrite());
      const records = async () => store;
      const folder = mkdtempSync(join(tmpdir(), 'dispute-export-'));
      const output = join(folder, 'sar.json');
      expect(await recordsExport(records, { board: 'rotherham-rsab', personReference: 'RMBC-000123', output }, () => {})).toBe(1);
      // The export holds the records' personal details in clear.
      expect(statSync(output).mode & 0o777).toBe(0o600);
      expect(readFileSync(output, 'utf8')).toContain('rsab-sample');
      const other = join(folder, 'existing.csv');
      writeFileSync(other, 'kept');
      await expect(recordsExport(records, { board: 'rotherham-rsab', format: 'csv', output: other }, () => {})).rejects.toThrow(/^--output: .*exists/);
      expect(readFileSync(other, 'utf8')).toBe('kept');
    } finally {
      process.umask(old);
      await store.close();
    }
  });
});
