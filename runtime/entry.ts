// How every process of the product ends when it cannot start: a setting, a policy file or the
// directory that is wrong gets one line naming it and exit code 2 (the person must change
// something); anything else is a fault, exit code 1.

const settingErrors = new Set(['ConfigError', 'PolicyError', 'DirectoryError', 'UsageError']);

export function isSettingError(error: unknown): error is Error {
  return error instanceof Error && settingErrors.has(error.name);
}

/** A message that a file's checker spread over lines, on one. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

export function runMain(name: string, main: () => Promise<void>, report: (error: unknown) => void = (error) => console.error(error)): void {
  main().catch((error: unknown) => {
    if (isSettingError(error)) {
      process.stderr.write(`${name}: ${oneLine(error.message)}\n`);
      process.exit(2);
    }
    report(error);
    process.exit(1);
  });
}
