export * from './calendar';
export { Division, builtInChanges, ruleBasedHolidays, easterSunday } from './holidays';
export type { HolidayChange, BankHolidaysFeed } from './holiday-files';
export { DAY, HOUR, MINUTE } from './civil';
export { formatLondon } from './format';
