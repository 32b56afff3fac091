import { existsSync, readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { registerWhenReady } from '../runtime/register-search-attributes';
import { temporalCliPath } from '../runtime/temporal-binaries';
import { searchAttributes } from '../workflows/search-attributes';
import { WORKER_HEAP_MIB, WORKER_ISOLATE_HEAP_MIB, workerHeapFlags } from '../worker/heap';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
}

// No Docker engine runs on our machines: the file is checked, the code it runs is run for real.
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the Temporal server, its Web UI, the search-attribute set-up, our worker, the API and the inbound mail service', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'inbound-mail', 'postgresql', 'setup', 'temporal', 'temporal-ui', 'worker']);
  });

  it('pins every image to a version tag', () => {
    for (const [name, { image }] of Object.entries(services)) {
      expect(image, name).toBeDefined();
      expect(image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image, name).not.toMatch(/:latest$/);
    }
    expect(service('temporal').image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(service('postgresql').image).toMatch(/^postgres:\d+\.\d+$/);
  });

  it('publishes the gRPC port and the Web UI on the ports npm start uses, on the loopback only', () => {
    // Neither has a login of its own: on every interface, anyone who reached the host could signal a dispute without an API key.
    expect(service('temporal').ports).toEqual(['127.0.0.1:7233:7233']);
    expect(service('temporal-ui').ports).toEqual(['127.0.0.1:8233:8080']);
    expect(service('postgresql').ports).toBeUndefined();
  });

  it('wires the Temporal server to PostgreSQL and every client to the Temporal server', () => {
    const temporal = service('temporal').environment ?? {};
    expect(temporal.DB).toBe('postgres12');
    expect(temporal.POSTGRES_SEEDS).toBe('postgresql');
    expect(temporal.POSTGRES_USER).toBe(service('postgresql').environment?.POSTGRES_USER);
    expect(service('temporal-ui').environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    for (const name of ['setup', 'worker', 'api', 'inbound-mail']) {
      const environment = service(name).environment ?? {};
      expect(environment.TEMPORAL_ADDRESS, name).toBe('${TEMPORAL_ADDRESS:-temporal:7233}');
      expect(environment.TEMPORAL_TASK_QUEUE, name).toBe('disputes');
    }
  });

  it('publishes the API on 3000, reading its keys from a secret file, and gives the worker its SMTP relay', () => {
    expect(service('api').ports).toContain('3000:3000');
    expect(service('api').environment).toMatchObject({ API_HOST: '0.0.0.0', API_PORT: 3000, API_KEYS_FILE: '/run/secrets/api-keys' });
    expect(Object.keys(service('worker').environment ?? {})).toEqual(expect.arrayContaining(['SMTP_HOST', 'SMTP_PORT', 'MAIL_FROM', 'MAIL_DOMAIN']));
  });

  it('gives the worker, the API and the inbound mail service the same reply secret, and publishes SMTP for replies', () => {
    for (const name of ['worker', 'api', 'inbound-mail']) {
      expect(String(service(name).environment?.REPLY_SECRET), name).toMatch(/^\$\{REPLY_SECRET:\?/);
      expect(service(name).environment?.REPLY_DOMAIN, name).toBeDefined();
    }
    expect(service('inbound-mail').ports).toContain('25:2525');
    expect(service('inbound-mail').environment?.INBOUND_SMTP_PORT).toBe(2525);
  });

  it('starts the worker only after the search attributes are registered', () => {
    expect(service('worker').depends_on).toEqual({ setup: { condition: 'service_completed_successfully' } });
    expect(service('api').depends_on).toEqual({ setup: { condition: 'service_completed_successfully' } });
    expect(service('setup').depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
  });

  it('runs compiled entry points under plain node, from the image the Dockerfile builds', () => {
    expect(existsSync('Dockerfile')).toBe(true);
    for (const name of ['setup', 'worker', 'api', 'inbound-mail']) {
      const { build, command } = service(name);
      expect(build, name).toBe('.');
      expect(command?.[0], name).toBe('node');
      const entry = command?.find((argument, index) => index > 0 && !argument.startsWith('--')) ?? '';
      expect(entry, name).toMatch(/^dist\/.*\.js$/);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(source), `${name} runs ${entry}, compiled from ${source}`).toBe(true);
    }
  });

  it("limits the worker's heap, so its RSS stays within 1 GiB however many disputes are open", () => {
    expect(service('worker').command).toEqual(['node', ...workerHeapFlags, 'dist/worker/main.js']);
    expect(workerHeapFlags).toEqual([`--max-old-space-size=${WORKER_HEAP_MIB}`, '--max-semi-space-size=16']);
  });

  it('passes the Temporal connection settings for a secured cluster or Temporal Cloud to every client', () => {
    for (const name of ['setup', 'worker', 'api', 'inbound-mail']) {
      expect(Object.keys(service(name).environment ?? {}), name).toEqual(expect.arrayContaining(['TEMPORAL_TLS', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'LOG_LEVEL']));
    }
  });
});

describe('the Dockerfile and the production dependencies', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };

  it('builds on Node 24 LTS, pinned, and runs the compiled code with production dependencies only', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toContain(`\nCMD ${JSON.stringify(['node', ...workerHeapFlags, 'dist/worker/main.js']).replaceAll(',', ', ')}\n`);
    const instructions = dockerfile.split('\n').filter((line) => /^(RUN|CMD|ENTRYPOINT)\b/.test(line));
    for (const line of instructions) expect(line).not.toMatch(/tsx|\.ts\b/);
  });

  // npm start runs the worker in its own process, started without the flag (package.json): the
  // limit reaches the workflow thread, where cached disputes are, as the SDK creates it after.
  it("gives a worker started without a heap limit (npm start) the limit on the thread its disputes run in", () => {
    const probe = `
      import { Worker } from 'node:worker_threads';
      import { limitWorkflowHeap } from './worker/heap.ts';
      const given = limitWorkflowHeap();
      const thread = new Worker("Promise.all([import('node:worker_threads'), import('node:v8')]).then(([threads, v8]) => threads.parentPort.postMessage(v8.getHeapStatistics().heap_size_limit))", { eval: true });
      thread.once('message', (limit) => { console.log(JSON.stringify({ given, limit })); void thread.terminate(); });`;
    const run = (...flags: string[]) => JSON.parse(execFileSync('node', [...flags, '--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })) as { given: number | null; limit: number };
    const limited = run();
    expect(limited.given).toBe(WORKER_HEAP_MIB);
    // old space plus three semi-spaces, on Node 20 and Node 24 alike (Node 24's own semi-space would make it 576)
    expect(limited.limit / 2 ** 20).toBeGreaterThanOrEqual(WORKER_ISOLATE_HEAP_MIB);
    expect(limited.limit / 2 ** 20).toBeLessThan(WORKER_ISOLATE_HEAP_MIB + 8);
    // A limit given to node is left as it is.
    const given = run('--max-old-space-size=200', '--max-semi-space-size=8');
    expect(given.given).toBeNull();
    expect(given.limit / 2 ** 20).toBeGreaterThanOrEqual(200 + 3 * 8);
    expect(given.limit / 2 ** 20).toBeLessThan(200 + 3 * 8 + 8);
  });

  it('keeps MailDev, TypeScript, tsx, pino-pretty and the test tools out of the production dependencies', () => {
    for (const name of ['maildev', 'typescript', 'tsx', 'pino-pretty', 'vitest', 'fast-check', 'playwright-core', 'hoodiecrow-imap', 'date-holidays']) {
      expect(pkg.dependencies[name], name).toBeUndefined();
      expect(pkg.devDependencies[name], name).toBeDefined();
    }
  });
});

describe('the set-up service', () => {
  it('registers every search attribute on a server that has none of them', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalCliPath() }, ip: '127.0.0.1' },
    });
    try {
      const address = env.connection.options.address;
      await registerWhenReady(address, 'default');
      await registerWhenReady(address, 'default'); // a restarted deployment registers again
      const connection = await Connection.connect({ address });
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(listed.customAttributes)).toEqual(
        expect.arrayContaining(searchAttributes.map((key) => key.name)),
      );
      await connection.close();
    } finally {
      await env.teardown();
    }
  });
});
