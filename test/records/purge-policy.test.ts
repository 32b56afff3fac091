import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { describePolicy } from '../../policies/describe';
import { builtInPolicyDir, loadPolicyFile, PolicyError, PolicyRegistry } from '../../policies/load';
import { retentionByBoard } from '../../records/purge';

// Each board sets how long it keeps closed records, in its policy file; absent, six years. A bad
// value is refused when the file is loaded, naming the field.

const raw = (id: string) => parse(readFileSync(join(builtInPolicyDir, `${id}.yaml`), 'utf8')) as Record<string, unknown>;

function folderWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispute-policies-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), stringify(data));
  return dir;
}

describe('a board’s retention in its policy file', () => {
  it('is honoured per board; a board that does not say keeps six years; the current version decides', () => {
    const dir = folderWith({
      'leeds-sab.yaml': { ...raw('leeds-sab'), retention: { keepClosedYears: 10, cite: 'Records retention schedule, section 4' } },
      'rotherham-rsab.yaml': raw('rotherham-rsab'),
      'rotherham-rsab-v2.yaml': { ...raw('rotherham-rsab'), version: 2, retention: { keepClosedYears: 8 } },
    });
    try {
      const registry = PolicyRegistry.fromDirectory(dir);
      expect(Object.fromEntries(retentionByBoard(registry.list()))).toEqual({ 'leeds-sab': 10, 'rotherham-rsab': 8 });
      expect(describePolicy(registry.get('leeds-sab'))).toContain(
        'Closed records are kept 10 years after closing, then their personal details are erased; the facts stay for reports (Records retention schedule, section 4)',
      );
      // A dispute started under version 1 follows the board's current policy.
      expect(registry.get('rotherham-rsab', 1).retention).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const builtIn = PolicyRegistry.fromDirectory();
    expect(Object.fromEntries(retentionByBoard(builtIn.list()))).toEqual({
      'cheshire-west-and-chester-lsab': 6,
      'leeds-sab': 6,
      'norfolk-nsab': 6,
      'north-somerset-nssab': 6,
      'rotherham-rsab': 6,
    });
    expect(describePolicy(builtIn.get('norfolk-nsab'))).toContain('Closed records are kept 6 years after closing (the default), then their personal details are erased; the facts stay for reports');
  });

  it.each([
    [{ keepClosedYears: 0 }, 'retention.keepClosedYears: expected whole years, from 1 to 100'],
    [{ keepClosedYears: 101 }, 'retention.keepClosedYears: expected whole years, from 1 to 100'],
    [{ keepClosedYears: 6.5 }, 'retention.keepClosedYears: expected whole years, from 1 to 100'],
    [{ keepClosedYears: 'six' }, 'retention.keepClosedYears: expected whole years, from 1 to 100'],
    [{}, 'retention.keepClosedYears: expected whole years, from 1 to 100'],
    [{ keepClosedYears: 6, keepOpenYears: 2 }, 'retention: Unrecognized key: "keepOpenYears"'],
  ])('refuses %j, naming the field', (retention, message) => {
    const dir = folderWith({ 'leeds-sab.yaml': { ...raw('leeds-sab'), retention } });
    try {
      expect(() => loadPolicyFile(join(dir, 'leeds-sab.yaml'))).toThrow(PolicyError);
      expect(() => loadPolicyFile(join(dir, 'leeds-sab.yaml'))).toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
