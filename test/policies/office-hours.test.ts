import { describe, expect, inject, it } from 'vitest';
import { describePolicy } from '../../policies/describe';
import { parsePolicy, PolicyRegistry } from '../../policies/load';
import { context, realClockContext } from '../support/disputes';
import { rawPolicy, rejection } from '../support/policy-files';

describe("a policy's office hours", () => {
  it("may be 'any-time', and `policy show` says so", () => {
    const policy = parsePolicy({ ...rawPolicy('norfolk-nsab'), officeHours: 'any-time' }, 'test.yaml');
    expect(policy.officeHours).toBe('any-time');
    expect(describePolicy(policy)).toContain('Emails that ask someone for something go out at any hour, on any day; deadlines never move');
  });

  it('may be hours of its own, and the default is 09:00–17:00', () => {
    const own = parsePolicy({ ...rawPolicy('norfolk-nsab'), officeHours: { start: '08:00', end: '18:00' } }, 'test.yaml');
    expect(describePolicy(own)).toContain('go out 08:00–18:00 London time on working days; deadlines never move');
    expect(describePolicy(parsePolicy(rawPolicy('norfolk-nsab'), 'test.yaml'))).toContain('go out 09:00–17:00 London time on working days (the default)');
  });

  it.each([
    ['anytime', /officeHours/],
    ['ANY-TIME', /officeHours/],
    [true, /officeHours/],
    [{ start: '09:00', end: '17:00', anyTime: true }, /officeHours: Unrecognized key: "anyTime"/],
    [{ start: '9:00', end: '17:00' }, /officeHours\.start: expected HH:MM/],
    [{ start: '17:00', end: '09:00' }, /officeHours: office hours must start before they end/],
  ])('refuses %j, naming the field', (officeHours, message) => {
    expect(rejection({ ...rawPolicy('norfolk-nsab'), officeHours })).toMatch(message);
  });

  it('the real-clock tests run the five policies as shipped but sending at any hour; time-skipping tests keep the shipped files', () => {
    const withoutHours = (registry: PolicyRegistry) => registry.list().map(({ officeHours: _hours, ...policy }) => policy);
    expect(withoutHours(realClockContext.policies)).toEqual(withoutHours(PolicyRegistry.fromDirectory()));
    expect(realClockContext.policies.list().map((policy) => policy.officeHours)).toEqual(Array(5).fill('any-time'));
    expect(context.policies.list().map((policy) => policy.officeHours)).toEqual(Array(5).fill(undefined));
    // Child processes (npm start, the API, the worker, the CLI) read the same folder.
    expect(process.env.POLICY_DIR).toBe(inject('realClockPolicyDir'));
  });
});
