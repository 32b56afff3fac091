import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

// What `npm start` keeps on this machine: the data folder (the dev server's SQLite file, its log,
// the reply secret, pid files). It holds disputes about vulnerable adults, so only its owner may
// read it: the folder is 0700 and every file in it 0600, also when an older version made them 0644.

/** Makes the data folder private, and tightens what an older version left readable. */
export function privateDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) chmodSync(path, 0o600);
  }
}

/** A file only its owner may read, created so (never briefly readable by others). */
export function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Records a child's pid in `<dir>/<name>.pid`, for the next start to find if we die without stopping it. */
export function recordChild(dir: string, name: string, pid: number): void {
  writePrivateFile(join(dir, `${name}.pid`), `${pid}\n`);
}

export function forgetChild(dir: string, name: string): void {
  rmSync(join(dir, `${name}.pid`), { force: true });
}

/**
 * A child an earlier `npm start` left running (its parent was killed before it could stop it):
 * stopped when the pid file names a live process whose command line is still ours (`marker`),
 * so a pid the system has since given to someone else is never touched.
 * Returns the pid it stopped, or null.
 */
export async function stopLeftover(dir: string, name: string, marker: string): Promise<number | null> {
  const file = join(dir, `${name}.pid`);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid) || !commandLine(pid).includes(marker)) return null;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
  return pid;
}

/**
 * Makes `pid` die with this process, however this process dies (kill -9 included), which no
 * handler in this process can do. A tiny watchdog reads a pipe whose only writer is this process:
 * the kernel closes it when we die, and the watchdog then stops the child (TERM, then KILL).
 * Returns a function that dismisses the watchdog after a clean stop.
 */
export function dieWithParent(pid: number, label: string): () => void {
  const script = `cat >/dev/null; kill -TERM "$1" 2>/dev/null || exit 0; sleep 10; kill -KILL "$1" 2>/dev/null`;
  // Its own process group, so a terminal's Ctrl-C does not take it away during a graceful stop.
  const watchdog = spawn('sh', ['-c', script, `dispute-watchdog-${label}`, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  watchdog.stdin.on('error', () => {});
  return () => {
    // The watchdog first: its pipe's end of file must not reach a shell that would still act on it.
    if (watchdog.exitCode === null) watchdog.kill('SIGKILL');
    watchdog.stdin.destroy();
  };
}

/** Whether something answers on this port: our own leftover, or a stranger holding it. */
export function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
