import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { KeyRing } from '../runtime/key-ring';
import type { RecordsDatabase } from './schema';

// The access log: every read of a dispute's personal data, with who read it, when and through
// what. Written before the data is shown; a read whose entry cannot be written is refused, so no
// read goes unrecorded. Who read is personal data of staff (an officer's address, an operator's
// name), so it is sealed with the key ring, bound to the entry's id: an entry's reader cannot be
// moved onto another entry. The kind of reader, the dispute, the channel and the instant stay in
// clear, so the log can be searched and counted without opening anything.

export const AccessChannel = z.enum(['api', 'cli', 'web', 'codec', 'export']);
export type AccessChannel = z.infer<typeof AccessChannel>;
export const AccessAction = z.enum(['show', 'list', 'export', 'decode']);
export type AccessAction = z.infer<typeof AccessAction>;
/** An API key of an agency or a board, a person signed in to the board pages, an operator key (codec), the CLI's user. */
export const ReaderKind = z.enum(['agency-key', 'board-key', 'officer', 'agency-person', 'operator', 'cli-user']);
export type ReaderKind = z.infer<typeof ReaderKind>;

const DisputeId = z.string().regex(/^[a-z0-9-]{6,80}$/, 'expected a dispute id such as rsab-k3m9qz');
const printable = /^[^\p{Cc}]*$/u;

export const Reader = z
  .object({
    kind: ReaderKind,
    // Key names come from the keys file unchecked: a long one is cut and a control character made a
    // space, never a read refused for it.
    name: z
      .string()
      .transform((name) => name.replace(/\p{Cc}+/gu, ' ').trim().slice(0, 200))
      .pipe(z.string().min(1, 'is empty')),
  })
  .strict();
export type Reader = z.input<typeof Reader>;

export const AccessEntry = z
  .object({
    disputeId: DisputeId.nullable(),
    channel: AccessChannel,
    action: AccessAction,
    who: Reader,
    /** Never personal: counts and formats. */
    detail: z.string().max(200).regex(printable, 'no control characters').optional(),
  })
  .strict();
export type AccessEntry = z.input<typeof AccessEntry>;

/** Entries one read may write at once: an export writes a batch of disputes at a time, a codec call at most its disputes and one more. */
export const MAX_ENTRIES_PER_WRITE = 1_000;
/** Entries one page of the log shows. */
export const ACCESS_PAGE_SIZE = 50;

/** The log could not be written: the read it was for must be refused. */
export class AccessLogUnavailable extends Error {
  override name = 'AccessLogUnavailable';
}

export interface ShownAccess {
  at: string;
  channel: AccessChannel;
  action: AccessAction;
  whoKind: ReaderKind;
  /** The reader, opened; one erased, or that does not open (a retired key, an altered row), says so. */
  who: string;
  detail: string | null;
}

const whoContext = (id: string) => `access_log.who\n${id}`;

export class AccessLog {
  constructor(
    private readonly store: () => Promise<{ db: Kysely<RecordsDatabase> }>,
    private readonly keyRing: KeyRing,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Writes the entries, all or none. Throws AccessLogUnavailable when they cannot be written. */
  async record(entries: readonly AccessEntry[]): Promise<void> {
    const parsed = z.array(AccessEntry).max(MAX_ENTRIES_PER_WRITE).parse(entries);
    if (parsed.length === 0) return;
    const at = this.now();
    const rows = parsed.map((entry) => {
      const id = randomUUID();
      return {
        id,
        at,
        dispute_id: entry.disputeId,
        channel: entry.channel,
        action: entry.action,
        who_kind: entry.who.kind,
        who: this.keyRing.sealText(entry.who.name, whoContext(id)),
        detail: entry.detail ?? null,
      };
    });
    try {
      const { db } = await this.store();
      await db.insertInto('access_log').values(rows).execute();
    } catch (error) {
      throw new AccessLogUnavailable(`the access log could not be written (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
  }

  /** One dispute's log, newest first, a page at a time (`page` from 1). */
  async read(disputeId: string, page = 1, limit = ACCESS_PAGE_SIZE): Promise<{ entries: ShownAccess[]; total: number }> {
    const { db } = await this.store();
    const forDispute = db.selectFrom('access_log').where('dispute_id', '=', DisputeId.parse(disputeId));
    const [rows, count] = await Promise.all([
      forDispute
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset((page - 1) * limit)
        .execute(),
      forDispute.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: count.total,
      entries: rows.map((row) => ({
        at: row.at.toISOString(),
        channel: row.channel as AccessChannel,
        action: row.action as AccessAction,
        whoKind: row.who_kind as ReaderKind,
        who: this.openWho(row.who, row.id),
        detail: row.detail,
      })),
    };
  }

  private openWho(sealed: string | null, id: string): string {
    if (sealed === null) return '(erased)';
    try {
      return this.keyRing.openText(sealed, whoContext(id));
    } catch {
      return '(sealed; it does not open with this key ring)';
    }
  }
}
