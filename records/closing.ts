import type { DisputeEvent, DisputeRecord, WrittenRecord } from '../workflows/dispute/model';

// What the workflow's closing record holds beyond the store's own tables (each decision's written
// record, the panel, the representations, each organisation's decision and rationale), read from the
// stored events the workflow recorded them in, as workflows/dispute/record.ts builds them from its
// state. The events are sealed like every personal column and reduced to their facts by the purge,
// so these follow: once erased, who and what read as `erased`, lists as empty.

type Closing = Pick<DisputeRecord, 'panel' | 'representations' | 'organisations'>;

/** The written record each outcome event carried, by the event's sequence number (the decision's). */
export function writtenRecords(events: readonly DisputeEvent[]): Map<number, WrittenRecord> {
  return new Map(events.flatMap((event) => (event.type === 'outcome' && event.record ? [[event.seq, event.record] as const] : [])));
}

/**
 * The last stage's panel and representations, and the organisations' records of a stage that closes
 * the dispute (Leeds stage 3). `agencyIds`: the parties, raising first. `erased`: what a personal
 * value reads as once the board's retention has passed.
 */
export function closingFromEvents(events: readonly DisputeEvent[], agencyIds: readonly string[], erased: string): Closing {
  const out: Closing = {};

  // The panel is the last list of members given; the route the last one chosen (either may come alone).
  const convened = events.filter((event) => event.type === 'convened');
  const listed = convened.filter((event) => event.members !== undefined).at(-1);
  if (listed) {
    const route = convened.filter((event) => event.route !== undefined).at(-1)?.route ?? null;
    out.panel = { route, members: uniqueAddresses(listed.members ?? []) };
  }

  const representations = events.filter((event) => event.type === 'representation');
  if (representations.length) {
    out.representations = representations.map((event) => ({ agencyId: event.agencyId, by: event.by ?? erased, at: event.at, text: event.text ?? erased }));
  }

  // An organisation's record is the first given for it: with an unresolved decision that closed the
  // stage (the dispute closed or waited for the others), or by the organisation itself after.
  const given: { agencyId: string; decision: string; rationale: string; by: string; at: string }[] = [];
  const add = (entry: { agencyId: string; decision?: string; rationale?: string }, by: string | undefined, at: string) => {
    if (!agencyIds.includes(entry.agencyId) || given.some((other) => other.agencyId === entry.agencyId)) return;
    given.push({ agencyId: entry.agencyId, decision: entry.decision ?? erased, rationale: entry.rationale ?? erased, by: by ?? erased, at });
  };
  for (const [index, event] of events.entries()) {
    if (event.type === 'outcome' && event.decision === 'unresolved' && event.record?.organisations && closedTheStage(events, index)) {
      for (const entry of event.record.organisations) add(entry, event.by, event.at);
    }
    if (event.type === 'organisation-decision') add(event, event.by, event.at);
  }
  const held = events.some((event) => event.type === 'closing-held');
  if (given.length || held) {
    // Each time the organisations still missing were asked: one `rationale` email a time.
    const askedOn = events.filter((event) => (event.type === 'email-queued' || event.type === 'email') && event.kind === 'rationale').map((event) => event.at);
    out.organisations = agencyIds.map((agencyId) => {
      const entry = given.find((candidate) => candidate.agencyId === agencyId);
      return entry ?? { agencyId, askedOn };
    });
  }
  return out;
}

/** The outcome at `index` ended its stage without a next one: the dispute closed, or held its close for the organisations. */
function closedTheStage(events: readonly DisputeEvent[], index: number): boolean {
  const next = events.slice(index + 1).find((event) => event.type === 'stage-entered' || event.type === 'closed' || event.type === 'closing-held');
  return next !== undefined && next.type !== 'stage-entered';
}

/** As the workflow keeps its panel: one entry per address, whatever its case, the first as given. */
function uniqueAddresses(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
