import { describe, expect, it } from 'vitest';
import { appliedPatches } from '../../workflows/dispute/patches';

// A dispute started under the one patch marker takes the patches made before it as applied without
// markers; a patch added later must still be asked, or a dispute running when it ships would switch
// to the new path mid-way (the very thing patching prevents).
describe('the one patch marker', () => {
  const earlier = new Set(['hardened-messages', 'records-written-locally']);
  const asked: string[] = [];
  const ask = (patchId: string) => {
    asked.push(patchId);
    return false; // as replay answers for a marker the history lacks
  };

  it('answers the earlier patches without asking, and asks any other', () => {
    asked.length = 0;
    const applied = appliedPatches(true, earlier, ask);
    expect(applied('hardened-messages')).toBe(true);
    expect(applied('records-written-locally')).toBe(true);
    expect(asked).toEqual([]);
    expect(applied('a-patch-added-later')).toBe(false);
    expect(asked).toEqual(['a-patch-added-later']);
  });

  it('without the marker (a dispute started before it), asks every patch as recorded', () => {
    asked.length = 0;
    const applied = appliedPatches(false, earlier, ask);
    expect(applied('hardened-messages')).toBe(false);
    expect(asked).toEqual(['hardened-messages']);
  });
});
