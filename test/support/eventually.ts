/**
 * Reads until `check` holds or `timeoutMs` of real time passes, then returns the last reading for
 * the test to assert on: for what settles after a call returns (visibility, signals, mail).
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // Most of what settles does so within milliseconds: read again soon, then back off to 100 ms so a
  // slow one does not flood the server with reads.
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
