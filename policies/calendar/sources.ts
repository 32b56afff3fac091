import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../runtime/errors';
import type { CalendarConfig } from './calendar';
import { BankHolidaysFeed, HolidayChange } from './holiday-files';
import type { Division } from './holidays';

// Where a deployment's holiday data comes from: files an operator maintains. Read once at start
// (I/O), then handed to workflows as plain data inside the calendar config.

const HolidaysFile = z.object({ changes: z.array(HolidayChange) });

export interface HolidayFiles {
  /** YAML or JSON: `changes: [{ date, change: added|removed, title, divisions? }]`. */
  holidaysFile?: string | undefined;
  /** The UK government's bank-holidays JSON feed, saved to a file. */
  feedFile?: string | undefined;
}

export interface HolidaySources {
  changes: HolidayChange[];
  feed?: BankHolidaysFeed;
}

function readStructured<T>(path: string, schema: z.ZodType<T>, what: string): T {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${what} ${basename(path)} cannot be read: ${error instanceof Error ? error.message : error}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`${what} ${basename(path)} is not valid:\n  ${details.join('\n  ')}`);
  }
  return parsed.data;
}

export function loadHolidaySources(files: HolidayFiles): HolidaySources {
  const changes = files.holidaysFile ? readStructured(files.holidaysFile, HolidaysFile, 'holidays file').changes : [];
  const feed = files.feedFile ? readStructured(files.feedFile, BankHolidaysFeed, 'bank-holidays feed') : undefined;
  return feed ? { changes, feed } : { changes };
}

/** The calendar config for one board's division, with the deployment's holiday data. */
export function calendarConfigFor(division: Division, sources: HolidaySources): CalendarConfig {
  const feedForDivision = sources.feed?.[division];
  return {
    division,
    changes: sources.changes.filter((change) => change.divisions.includes(division)),
    ...(feedForDivision ? { feed: { [division]: feedForDivision } } : {}),
  };
}
