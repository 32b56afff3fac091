import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDirectory, parseDirectory } from '../policies/directory';

// Issue 13, finding 3: each agency's mail domains, which its contacts must be in.

const raw = () => parse(readFileSync('policies/directory/demo.yaml', 'utf8'));

describe('agencies’ email domains in the directory', () => {
  it('every demo agency has its domains, and its people are in them', () => {
    for (const agency of loadDirectory().agencies) expect(agency.emailDomains, agency.id).toEqual([`${agency.id}.example.org`]);
  });

  it('an agency without domains, or with a person outside them, is refused, naming the field', () => {
    const missing = raw();
    delete missing.agencies[0].emailDomains;
    expect(() => parseDirectory(missing, 'demo.yaml')).toThrow(/agencies\.0\.emailDomains: each agency needs its mail domains/);
    const outside = raw();
    outside.agencies[1].tiers[0].contacts[0].email = 'someone@elsewhere.example.org';
    expect(() => parseDirectory(outside, 'demo.yaml')).toThrow(/agencies\.1\.emailDomains: someone@elsewhere\.example\.org is not in rotherham-nhs's emailDomains/);
    const malformed = raw();
    malformed.agencies[2].emailDomains = ['Not A Domain'];
    expect(() => parseDirectory(malformed, 'demo.yaml')).toThrow(/agencies\.2\.emailDomains\.0: expected a lower-case mail domain/);
  });
});
