import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { decodeEntries } from '../client/api/codec';

// What one codec decode writes to the access log, from the payloads it opened: bounded whatever
// the request holds, and put down to a dispute only where a payload names one.

const operator = { name: 'Casey On-call' };
const opened = (value: unknown) => ({ payload: defaultPayloadConverter.toPayload(value), opened: true });

describe('a codec decode’s access-log entries', () => {
  it('one entry per dispute the opened payloads name (at any depth), one more for those naming none; payloads not opened do not count', () => {
    const entries = decodeEntries(
      [
        opened({ disputeId: 'rsab-aaaaaa', summary: 'x' }),
        opened({ facts: { disputeId: 'rsab-aaaaaa' }, recipients: [] }),
        opened([{ disputeId: 'nsab-bbbbbb' }]),
        opened({ by: 'pat@example.org', text: 'a note' }),
        opened('just text'),
        { payload: defaultPayloadConverter.toPayload({ disputeId: 'rsab-cccccc' }), opened: false },
        opened({ disputeId: 'Not An Id!' }),
      ],
      operator,
    );
    expect(entries).toEqual([
      { disputeId: 'rsab-aaaaaa', channel: 'codec', action: 'decode', who: { kind: 'operator', name: 'Casey On-call' }, detail: '2 of 6 payload(s) opened' },
      { disputeId: 'nsab-bbbbbb', channel: 'codec', action: 'decode', who: { kind: 'operator', name: 'Casey On-call' }, detail: '1 of 6 payload(s) opened' },
      { disputeId: null, channel: 'codec', action: 'decode', who: { kind: 'operator', name: 'Casey On-call' }, detail: '3 of 6 payload(s) opened name no dispute' },
    ]);
  });

  it('nothing opened, nothing recorded; at most 50 disputes itemised, the rest counted', () => {
    expect(decodeEntries([{ payload: defaultPayloadConverter.toPayload('x'), opened: false }], operator)).toEqual([]);
    const many = Array.from({ length: 10_000 }, (_, index) => opened({ disputeId: `rsab-${String(index).padStart(6, '0')}` }));
    const entries = decodeEntries(many, operator);
    expect(entries).toHaveLength(51);
    expect(entries.filter((entry) => entry.disputeId !== null)).toHaveLength(50);
    expect(entries[50]).toMatchObject({ disputeId: null, detail: '0 of 10000 payload(s) opened name no dispute; 9950 more dispute(s) not itemised' });
  });
});
