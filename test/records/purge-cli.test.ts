import { testKeyRing } from '../support/temporal';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsStore } from '../../records/open';
import { readStoredDispute } from '../../records/read';
import { saveRecord } from '../../records/write';
import { runCli } from '../support/processes';
import { sampleWrite } from './sample';

// `dispute records purge`, run as a person runs it, against an embedded store in a folder: the dry
// run lists what is past retention and changes nothing; erasing asks for --yes; a second run finds
// nothing; the store held by another process is refused with the store's own message. Each case
// runs the CLI several times (a process each), hence the longer time limits.

let dir: string;
let recordsDir: string;
const closedAt = (id: string, closed: string, board = 'rotherham-rsab') => sampleWrite({ id, board, base: new Date(Date.parse(closed) - 180 * 60_000).toISOString() });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dispute-purge-cli-'));
  recordsDir = join(dir, 'records');
  const store = await openRecordsStore({ dataDir: recordsDir }, { keyRing: testKeyRing });
  await saveRecord(store.db, closedAt('rsab-cli-old', '2019-01-10T13:30:00.000Z'));
  await saveRecord(store.db, closedAt('lsab-cli-old', '2018-07-02T09:00:00.000Z', 'leeds-sab'));
  await saveRecord(store.db, closedAt('rsab-cli-recent', '2025-01-10T13:30:00.000Z'));
  await saveRecord(store.db, sampleWrite({ id: 'rsab-cli-open', events: 4, base: '2018-01-10T10:00:00.000Z' }));
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const purge = (...args: string[]) => runCli(['records', 'purge', ...args], { RECORDS_DIR: recordsDir });

async function personReferences(): Promise<Record<string, string | undefined>> {
  const store = await openRecordsStore({ dataDir: recordsDir }, { keyRing: testKeyRing });
  try {
    const ids = ['rsab-cli-old', 'lsab-cli-old', 'rsab-cli-recent', 'rsab-cli-open'];
    return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await readStoredDispute(store.db, id))?.view.personReference] as const)));
  } finally {
    await store.close();
  }
}

describe('dispute records purge', () => {
  it('--dry-run lists exactly the records past retention, with board, closing and retention end, and changes nothing', async () => {
    const text = await purge('--dry-run');
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^2 closed record\(s\) past their board's retention would have their personal fields erased \(as of .+ (GMT|BST)\); nothing was changed$/);
    expect(lines.slice(1)).toEqual([
      `  ${'lsab-cli-old'.padEnd(24)} ${'leeds-sab'.padEnd(32)} closed Mon 2 Jul 2018 10:00 BST; kept until Tue 2 Jul 2024 10:00 BST`,
      `  ${'rsab-cli-old'.padEnd(24)} ${'rotherham-rsab'.padEnd(32)} closed Thu 10 Jan 2019 13:30 GMT; kept until Fri 10 Jan 2025 13:30 GMT`,
    ]);
    const json = await purge('--dry-run', '--board', 'rotherham-rsab', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      at: expect.any(String),
      wouldErase: [{ disputeId: 'rsab-cli-old', board: 'rotherham-rsab', closedAt: '2019-01-10T13:30:00.000Z', retentionEnded: '2025-01-10T13:30:00.000Z' }],
      boardsWithoutPolicy: [],
    });
    expect(await personReferences()).toEqual({ 'rsab-cli-old': 'RMBC-000123', 'lsab-cli-old': 'RMBC-000123', 'rsab-cli-recent': 'RMBC-000123', 'rsab-cli-open': 'RMBC-000123' });
  }, 120_000);

  it('refuses bad flags, naming them, and erasing without --yes', async () => {
    expect(await purge()).toEqual({ code: 2, stdout: '', stderr: 'dispute: erasing cannot be undone: add --yes to erase now, or see what would be erased with `dispute records purge --dry-run`\n' });
    expect(await purge('--dry-run', '--board', 'Rotherham RSAB')).toMatchObject({ code: 2, stderr: 'dispute: --board: expected a board id such as rotherham-rsab\n' });
    expect(await purge('--dry-run', '--board', 'nowhere-sab')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dispute: --board: no policy names board 'nowhere-sab' \(known: cheshire-west-and-chester-lsab, leeds-sab, /) });
    expect(await purge('--dry-run', '--everything')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--everything'") });
    expect((await personReferences())['rsab-cli-old']).toBe('RMBC-000123');
  }, 180_000);

  it('--yes erases them, one board or all; a second run finds nothing', async () => {
    expect(await purge('--yes', '--board', 'leeds-sab')).toEqual({ code: 0, stdout: 'erased the personal fields of 1 closed record(s) (leeds-sab 1)\n', stderr: '' });
    const all = await purge('--yes', '--json');
    expect(JSON.parse(all.stdout)).toEqual({ erased: 1, byBoard: { 'rotherham-rsab': 1 }, boardsWithoutPolicy: [] });
    expect(await personReferences()).toEqual({ 'rsab-cli-old': '[erased]', 'lsab-cli-old': '[erased]', 'rsab-cli-recent': 'RMBC-000123', 'rsab-cli-open': 'RMBC-000123' });
    expect((await purge('--yes')).stdout).toBe('erased the personal fields of 0 closed record(s)\n');
    expect((await purge('--dry-run')).stdout).toMatch(/^0 closed record\(s\)/);
  }, 180_000);

  it('while another process holds the embedded store, it runs through the socket that process serves it on', async () => {
    const held = await openRecordsStore({ dataDir: recordsDir }, { keyRing: testKeyRing });
    try {
      const listed = await purge('--dry-run');
      expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(listed.stdout).toMatch(/^0 closed record\(s\)/);
    } finally {
      await held.close();
    }
  }, 120_000);
});
