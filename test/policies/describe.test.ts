import { describe, expect, it } from 'vitest';
import { describePolicy } from '../../policies/describe';
import { PolicyRegistry } from '../../policies/load';

// `dispute policy show`: the board's stage, the records and the overdue routing, in words.
const registry = PolicyRegistry.fromDirectory();

describe('policy show', () => {
  it('Cheshire West: overdue notices via the board manager, not only "at the last stage"; the chair’s recommendation', () => {
    const text = describePolicy(registry.get('cheshire-west-and-chester-lsab'));
    expect(text).not.toContain('Overdue at the last stage');
    expect(text).toContain("Overdue (a stage's conclude-by passes before the dispute moves on, or at the last stage): tell the stage's contacts and LSAB Board Manager (at the last stage also Chair of the LSAB)");
    expect(text).toContain('Its outcome is a recommendation (not a binding decision), recorded by Chair of the LSAB, or a panel member recorded on the dispute; never by a disputing agency');
    expect(text).toContain('24 hours have passed since the concern arose');
  });

  it.each([
    ['rotherham-rsab', 'Its outcome is a decision (binding on all agencies concerned)', "A copy to every party's people on entering stage 2, 3, 4"],
    ['north-somerset-nssab', 'Its outcome is a decision (final and binding on all organisations involved)', "Completed, when the dispute is resolved or decided, to each agency's board representative"],
    ['norfolk-nsab', 'Its outcome is a decision (the document does not say whether it binds)', 'After it closes, a debrief prompt to everyone involved'],
  ])('%s says what its document says', (id, outcome, record) => {
    const text = describePolicy(registry.get(id));
    expect(text).toContain(outcome);
    expect(text).toContain(record);
  });

  it('names the choices made where a document is silent', () => {
    expect(registry.get('leeds-sab').notes.join('\n')).toMatch(/names no board manager/);
    expect(registry.get('norfolk-nsab').notes.join('\n')).toMatch(/'may be advised' at stage 3; we always send the advance notice/);
    expect(registry.get('rotherham-rsab').notes.join('\n')).toMatch(/drafting note/);
    for (const id of ['rotherham-rsab', 'cheshire-west-and-chester-lsab', 'leeds-sab']) expect(registry.get(id).notes.join('\n'), id).toMatch(/'adopted' is not in the document/);
  });
});
