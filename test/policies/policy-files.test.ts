import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { builtInPolicyDir, loadPolicyFile, parsePolicy, PolicyRegistry } from '../../policies/load';
import { checkDirectoryFor, loadDirectory, parseDirectory } from '../../policies/directory';
import { rawPolicy, rejection } from '../support/policy-files';

describe('the five policies', () => {
  const registry = PolicyRegistry.fromDirectory();

  it('all load, are consistent, and are versioned', () => {
    expect(registry.list().map((policy) => `${policy.id}@${policy.version}`)).toEqual([
      'cheshire-west-and-chester-lsab@1',
      'leeds-sab@1',
      'norfolk-nsab@1',
      'north-somerset-nssab@1',
      'rotherham-rsab@1',
    ]);
  });

  it('cite a clause for every stage and every notice', () => {
    for (const policy of registry.list()) {
      for (const stage of policy.stages) {
        expect(stage.cite.length, `${policy.id} stage ${stage.stage}`).toBeGreaterThan(5);
        for (const notice of [...stage.onEnter, ...stage.onResolved]) expect(notice.cite.length).toBeGreaterThan(5);
      }
    }
  });

  it('encode each board’s particular rules', () => {
    const rotherham = registry.get('rotherham-rsab');
    expect(rotherham.stages[2]!.onEnter.map((notice) => notice.to)).toEqual([{ kind: 'officer', officer: 'board-manager' }]);
    expect(rotherham.imminentRisk.action).toEqual({ kind: 'jump-to-stage', stage: 3 });
    expect(rotherham.record?.stages).toEqual([2, 3, 4]);
    const leeds = registry.get('leeds-sab');
    expect(leeds.stages[3]!.gate?.categories).toEqual(['abuse', 'neglect', 'self-neglect']);
    expect(leeds.stages[2]!.resolutionConfirms).toEqual(['safety-measures']);
    const northSomerset = registry.get('north-somerset-nssab');
    expect(northSomerset.record?.name).toBe('Monitoring Form');
    expect(northSomerset.record?.stages).toEqual([3, 4]);
    expect(northSomerset.imminentRisk.chooseStartStage).toBe(true);
    const cheshire = registry.get('cheshire-west-and-chester-lsab');
    expect(cheshire.stages[3]!.concludeBy).toHaveLength(2);
    expect(cheshire.imminentRisk.action.kind).toBe('notify');
    expect(registry.get('norfolk-nsab').stages[2]!.onEnter[0]!.to).toEqual({ kind: 'officer', officer: 'board-manager' });
  });

  it('finds a named version, and says which policies exist when asked for an unknown one', () => {
    expect(registry.get('leeds-sab', 1).version).toBe(1);
    expect(registry.find('leeds-sab', 2)).toBeUndefined();
    expect(() => registry.get('nowhere-sab')).toThrow(/unknown policy 'nowhere-sab' \(known: cheshire-west-and-chester-lsab, leeds-sab/);
  });

  it('keeps every version side by side; the newest is the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    const v1 = rawPolicy('norfolk-nsab');
    writeFileSync(join(dir, 'norfolk-v1.yaml'), stringify(v1));
    writeFileSync(join(dir, 'norfolk-v2.yaml'), stringify({ ...v1, version: 2, adopted: '2027-04-01' }));
    const registry2 = PolicyRegistry.fromDirectory(dir);
    expect(registry2.get('norfolk-nsab').version).toBe(2);
    expect(registry2.get('norfolk-nsab', 1).adopted).toBe('2025-03-27');
    writeFileSync(join(dir, 'norfolk-copy.yaml'), stringify(v1));
    expect(() => PolicyRegistry.fromDirectory(dir)).toThrow(/two files define policy norfolk-nsab@1/);
  });
});

describe('a policy that breaks the schema', () => {
  it('is rejected with the policy, the field and what was expected', () => {
    const policy = rawPolicy('rotherham-rsab');
    policy.stages[1].concludeBy[0].unit = 'fortnights';
    const message = rejection(policy);
    expect(message).toContain("test.yaml (policy 'rotherham-rsab') is not a valid policy");
    expect(message).toMatch(/stages\.1\.concludeBy\.0\.unit: .*working-hours/);
  });

  it('names a missing field', () => {
    const policy = rawPolicy('leeds-sab');
    delete policy.imminentRisk;
    expect(rejection(policy)).toMatch(/imminentRisk: /);
  });

  it('refuses a board outcome name longer than the closing record keeps (200 characters), naming the field', () => {
    const policy = rawPolicy('rotherham-rsab');
    policy.lastStage.outcome.name = 'd'.repeat(201);
    expect(rejection(policy)).toMatch(/lastStage\.outcome\.name/);
    policy.lastStage.outcome.name = 'd'.repeat(200);
    expect(() => parsePolicy(policy, 'test.yaml')).not.toThrow();
  });

  it('names a bad officer email', () => {
    const policy = rawPolicy('cheshire-west-and-chester-lsab');
    policy.officers['board-manager'].email = 'not-an-address';
    expect(rejection(policy)).toMatch(/officers\.board-manager\.email/);
  });

  it('refuses a stray key anywhere, naming where it is', () => {
    const top = rawPolicy('norfolk-nsab');
    top.escalationNotes = 'x';
    expect(rejection(top)).toMatch(/\(top level\): Unrecognized key: "escalationNotes"/);
    const nested = rawPolicy('rotherham-rsab');
    nested.stages[2].onEnter[0].attachment = 'record';
    expect(rejection(nested)).toMatch(/stages\.2\.onEnter\.0: Unrecognized key: "attachment"/);
  });

  it('refuses a form field cut at a comma in a YAML flow map, as the files once were', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    const text = readFileSync(join(builtInPolicyDir, 'rotherham-rsab.yaml'), 'utf8').replace(
      'label: "Summary of reason for dispute – include views of all agencies" }',
      'label: Summary of reason for dispute, with the views of all agencies }',
    );
    writeFileSync(join(dir, 'rotherham-rsab.yaml'), text);
    expect(() => loadPolicyFile(join(dir, 'rotherham-rsab.yaml'))).toThrow(/record\.fields\.1: Unrecognized key: "with the views of all agencies"/);
  });

  it('keeps every form label whole, as the document words it', () => {
    const labels = (id: string) => PolicyRegistry.fromDirectory().get(id).record!.fields.map((field) => field.label);
    expect(labels('rotherham-rsab')).toContain('Summary of reason for dispute – include views of all agencies');
    expect(labels('north-somerset-nssab')).toContain('Summary of reason for dispute – include views of all agencies concerned.');
    expect(labels('north-somerset-nssab')).toContain('Agreed outcomes or actions if satisfactorily resolved – includes escalation to next stage if unresolved');
  });

  it('reports unreadable YAML with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-'));
    writeFileSync(join(dir, 'broken.yaml'), 'id: [unclosed');
    expect(() => loadPolicyFile(join(dir, 'broken.yaml'))).toThrow(/broken\.yaml is not readable YAML/);
  });
});

describe('an inconsistent policy', () => {
  it('is rejected when deadlines go backwards', () => {
    const policy = rawPolicy('rotherham-rsab');
    policy.stages[2].concludeBy = [{ unit: 'working-days', amount: 3, from: 'concern' }];
    expect(rejection(policy)).toMatch(/stage 3's conclude-by comes before stage 2's/);
  });

  it('is rejected when a latest start comes before the previous stage’s', () => {
    const policy = rawPolicy('cheshire-west-and-chester-lsab');
    policy.stages[3].startBy = { unit: 'end-of-day', day: 2, from: 'concern' };
    expect(rejection(policy)).toMatch(/stages\.3\.startBy: stage 4's latest start comes before stage 3 starts/);
  });

  it('is rejected when a stage can never be reached by its deadline', () => {
    const policy = rawPolicy('norfolk-nsab');
    delete policy.stages[1].concludeBy;
    expect(rejection(policy)).toMatch(/stage 2 has no conclude-by and stage 3 no latest start: a dispute nobody decides would never reach stage 3/);
  });

  it('is rejected when it notifies an officer the board does not define', () => {
    const policy = rawPolicy('rotherham-rsab');
    policy.stages[2].onEnter[0].to = { kind: 'officer', officer: 'qa-lead' };
    expect(rejection(policy)).toMatch(/stages\.2\.onEnter\.0: notifies officer 'qa-lead', which the board does not define \(it defines: board-manager, chair\)/);
  });

  it('is rejected when imminent risk jumps to a stage that does not exist', () => {
    const policy = rawPolicy('rotherham-rsab');
    policy.imminentRisk.action.stage = 7;
    expect(rejection(policy)).toMatch(/imminentRisk\.action\.stage: jumps to stage 7/);
  });

  it('is rejected when the first stage is gated, or stages skip a number, or tiers fall', () => {
    const gated = rawPolicy('leeds-sab');
    gated.stages[0].gate = gated.stages[3].gate;
    expect(rejection(gated)).toMatch(/the first stage cannot be gated/);
    const skipping = rawPolicy('norfolk-nsab');
    skipping.stages[2].stage = 5;
    expect(rejection(skipping)).toMatch(/stages\.2\.stage: expected stage 3/);
    const falling = rawPolicy('norfolk-nsab');
    falling.stages[2].tier = 'practitioner';
    expect(rejection(falling)).toMatch(/stage 3 \(practitioner\) must be a higher tier than stage 2 \(line-manager\)/);
  });

  it('is rejected when the last stage names an officer the board does not define', () => {
    const policy = rawPolicy('cheshire-west-and-chester-lsab');
    policy.lastStage.recordedBy.officers = ['chair', 'treasurer'];
    expect(rejection(policy)).toMatch(/lastStage\.recordedBy\.officers\.1: names officer 'treasurer'/);
  });

  it('is rejected when the record names a stage the policy lacks', () => {
    const policy = rawPolicy('north-somerset-nssab');
    policy.record.stages = [3, 6];
    expect(rejection(policy)).toMatch(/record\.stages\.1: names stage 6/);
  });
});

describe('the agency directory', () => {
  const directory = loadDirectory();
  const registry = PolicyRegistry.fromDirectory();

  it('the demo directory serves all five policies: officers, and contacts at every stage of every agency', () => {
    for (const policy of registry.list()) expect(checkDirectoryFor(directory, policy), policy.id).toEqual([]);
  });

  it('the demo directory holds only invented people at example.org', () => {
    const addresses = JSON.stringify(directory).match(/[\w.+-]+@[\w.-]+/g) ?? [];
    expect(addresses.length).toBeGreaterThan(100);
    for (const address of addresses) expect(address).toMatch(/\.example\.org$/);
  });

  it('follows NSAB Appendix 2 routes: adult social care escalates social worker → team manager → head of service', () => {
    const asc = directory.agencies.find((agency) => agency.id === 'norfolk-asc')!;
    expect(asc.route.slice(0, 3)).toEqual(['Social Worker / Occupational Therapist', 'Team Manager', 'Head of Service / Operational Head of Integrated Care']);
    expect(asc.tiers.map((tier) => tier.role).slice(0, 2)).toEqual(['Social Worker / Occupational Therapist', 'Team Manager']);
  });

  it('rejects a duplicate agency, a bad email and an unknown board, naming each field', () => {
    const raw = parse(readFileSync('policies/directory/demo.yaml', 'utf8'));
    raw.agencies[1].id = raw.agencies[0].id;
    raw.agencies[2].tiers[0].contacts[0].email = 'nobody';
    raw.agencies[3].boards = ['atlantis-sab'];
    let message = '';
    try {
      parseDirectory(raw, 'demo.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('demo.yaml is not a valid agency directory');
    expect(message).toMatch(/agencies\.2\.tiers\.0\.contacts\.0\.email/);
    expect(message).toMatch(/agencies\.1\.id: agency id 'rotherham-asc' is used twice/);
    expect(message).toMatch(/agencies\.3\.boards\.0: board 'atlantis-sab' is not in this directory's boards/);
  });

  it('reports what a policy needs and a directory lacks', () => {
    const raw = parse(readFileSync('policies/directory/demo.yaml', 'utf8'));
    raw.agencies[0].tiers = raw.agencies[0].tiers.filter((tier: { stage: number }) => tier.stage !== 4);
    delete raw.boards['rotherham-rsab'].officers.chair;
    const problems = checkDirectoryFor(parseDirectory(raw, 'x'), registry.get('rotherham-rsab'));
    expect(problems).toEqual([
      "board 'rotherham-rsab' has no contact for officer 'chair'",
      "agency 'rotherham-asc' has no contacts for stage 4 of rotherham-rsab",
    ]);
  });
});
