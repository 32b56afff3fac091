import type { Visible } from './access';

// A dispute's board and agencies, as one process has seen them. They are fixed when the dispute
// starts (a contact change replaces people, never an agency), so what was seen once stays true and
// an action can be authorised without asking Temporal first. Held per Temporal client, bounded:
// the least recently used are forgotten and found again (one describe) when next asked for.

/** About 200 bytes each: 20,000 is ~4 MiB, more disputes than a board has open. */
const LIMIT = 20_000;

const byClient = new WeakMap<object, Map<string, Visible>>();

function cacheOf(client: object): Map<string, Visible> {
  let cache = byClient.get(client);
  if (!cache) byClient.set(client, (cache = new Map()));
  return cache;
}

export function rememberParties(client: object, disputeId: string, parties: Visible): void {
  // An incomplete answer (a dispute from before the search attributes, a view without its agencies) is never kept.
  if (!parties.board || parties.agencies.length === 0) return;
  const cache = cacheOf(client);
  cache.delete(disputeId);
  cache.set(disputeId, { board: parties.board, agencies: [...parties.agencies] });
  if (cache.size > LIMIT) cache.delete(cache.keys().next().value!);
}

export function knownParties(client: object, disputeId: string): Visible | undefined {
  const cache = byClient.get(client);
  const parties = cache?.get(disputeId);
  if (parties) {
    // Most recently used last, so the first key is the one to forget.
    cache!.delete(disputeId);
    cache!.set(disputeId, parties);
  }
  return parties;
}
