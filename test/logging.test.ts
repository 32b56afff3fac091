import { describe, expect, it } from 'vitest';
import { createLogger, maskAddresses } from '../runtime/logger';

// Log lines leave the process for log stores that many people read: personal fields never reach them.
function capture(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const logger = createLogger('test', level, { write: (line: string) => void lines.push(line) });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), raw: () => lines.join('') };
}

describe('the product logger', () => {
  it('writes JSON lines with the level, time, name and message', () => {
    const { logger, records } = capture();
    logger.info({ disputeId: 'rsab-k3m9qz', stage: 2 }, 'stage entered');
    logger.debug('not at info');
    expect(records()).toEqual([expect.objectContaining({ level: 30, name: 'test', msg: 'stage entered', disputeId: 'rsab-k3m9qz', stage: 2, time: expect.any(Number) })]);
  });

  it('redacts personal fields by name, at the top and nested, and masks addresses in messages and errors', () => {
    const { logger, raw, records } = capture();
    const known = 'pat.raiser@rotherham-asc.example.org';
    logger.info({ to: [known], by: known, summary: 'Mrs A was found on the floor', contact: { name: 'Pat Raiser', email: known }, payload: { notes: { text: 'x' } } }, `mail for ${known} queued`);
    logger.warn({ err: new Error(`550 5.1.1 <${known}>: no such user`) }, 'refused');
    expect(raw()).not.toContain(known);
    expect(raw()).not.toContain('Pat Raiser');
    expect(raw()).not.toContain('found on the floor');
    const [first, second] = records();
    expect(first).toMatchObject({ to: '[redacted]', by: '[redacted]', summary: '[redacted]', contact: { name: '[redacted]', email: '[redacted]' }, msg: 'mail for [email] queued' });
    expect(second).toMatchObject({ err: { type: 'Error', message: '550 5.1.1 <[email]>: no such user' } });
  });

  it('masks every address-shaped text', () => {
    expect(maskAddresses('from a.b+c@x.example.org to reply+abc234@localhost')).toBe('from [email] to [email]');
  });
});
