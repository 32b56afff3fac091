export * from './calendar';
export { Division, HolidayChange, BankHolidaysFeed, builtInChanges, ruleBasedHolidays, easterSunday } from './holidays';
export { DAY, HOUR, MINUTE } from './civil';
export { formatLondon } from './format';
