import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dieWithParent, forgetChild, listening, recordChild, stopLeftover } from './local-state';

// MailDev (from npm) as the local inbox of `npm start`: it takes the escalation emails over SMTP and
// shows them in a browser. A child process, because in-process it would take over Ctrl-C.

export interface MailInbox {
  webUrl: string;
  stop(): Promise<void>;
}

export async function startMailInbox(options: { host: string; smtpPort: number; webPort: number; dataDir: string }): Promise<MailInbox> {
  const bin = createRequire(import.meta.url).resolve('maildev/bin/maildev');
  // One an earlier run left behind (its parent killed before it could stop it) holds our ports.
  await stopLeftover(options.dataDir, 'mail-inbox', `--smtp ${options.smtpPort} --web ${options.webPort}`);
  const child = spawn(
    process.execPath,
    [bin, '--ip', options.host, '--smtp', String(options.smtpPort), '--web', String(options.webPort), '--silent'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  recordChild(options.dataDir, 'mail-inbox', child.pid!);
  const dismissWatchdog = dieWithParent(child.pid!, 'mail-inbox');
  const deadline = Date.now() + 20_000;
  while (!(await listening(options.host, options.webPort)) || !(await listening(options.host, options.smtpPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      dismissWatchdog();
      forgetChild(options.dataDir, 'mail-inbox');
      throw new Error(`the mail inbox (MailDev) did not start on ports ${options.smtpPort}/${options.webPort}: ${errors.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    webUrl: `http://localhost:${options.webPort}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      dismissWatchdog();
      forgetChild(options.dataDir, 'mail-inbox');
    },
  };
}
