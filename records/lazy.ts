import { openRecordsStore, type RecordsLocation, type RecordsStore, type RecordsStoreOptions } from './open';

/**
 * The store, opened on first use and shared after: a process that never needs it (the CLI showing
 * an open dispute) never opens it, and a store that was down at first is tried again next time.
 * A store used through another process's socket is let go once that process has let it go, and
 * opened afresh (held by this process, if no other holds it by then).
 */
export function lazyRecordsStore(location: RecordsLocation, options: RecordsStoreOptions) {
  let opening: Promise<RecordsStore> | null = null;
  async function get(): Promise<RecordsStore> {
    const current = (opening ??= openRecordsStore(location, options).catch((error: unknown) => {
      opening = null;
      throw error;
    }));
    const store = await current;
    if (!store.lost?.()) return store;
    if (opening === current) opening = null;
    await store.close().catch(() => undefined);
    return get();
  }
  return {
    get,
    async close(): Promise<void> {
      const current = opening;
      opening = null;
      if (current) await (await current.catch(() => null))?.close();
    },
  };
}

export type LazyRecordsStore = ReturnType<typeof lazyRecordsStore>;
