import { openRecordsStore, type RecordsLocation, type RecordsStore, type RecordsStoreOptions } from './open';

/**
 * The store, opened on first use and shared after: a process that never needs it (the CLI showing
 * an open dispute) never opens it, and a store that was down at first is tried again next time.
 */
export function lazyRecordsStore(location: RecordsLocation, options: RecordsStoreOptions) {
  let opening: Promise<RecordsStore> | null = null;
  return {
    get(): Promise<RecordsStore> {
      opening ??= openRecordsStore(location, options).catch((error: unknown) => {
        opening = null;
        throw error;
      });
      return opening;
    },
    async close(): Promise<void> {
      const current = opening;
      opening = null;
      if (current) await (await current.catch(() => null))?.close();
    },
  };
}

export type LazyRecordsStore = ReturnType<typeof lazyRecordsStore>;
