import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../activities';
import { formatRotationReport, keysCommand, rotationReport } from '../client/cli/keys';
import { buildDisputeStart, startDispute } from '../client/disputes';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter, EncryptionCodec, payloadKeyId } from '../runtime/payload-codec';
import { disputeState, recordOutcome } from '../workflows/dispute/messages';
import type { DisputeRecord } from '../workflows/dispute/model';
import { contactsAt, realClockContext, twoAgencies } from './support/disputes';
import { eventually } from './support/eventually';
import { startSmtpSink, testMailSettings, type SmtpSink } from './support/smtp-sink';
import { sharedDevServerEnv, testPayloadKeys } from './support/temporal';
import { createWorker } from '../worker/create';

// Key rotation: a dispute started under key 1 keeps running, through a worker restart, after key 2
// goes first in PAYLOAD_KEYS, and finishes under key 2; `dispute keys rotate-check` says which keys
// open disputes still need.

const [line2, line1] = testPayloadKeys.split('\n').filter((line) => /^test-\d /.test(line)) as [string, string];
const before = KeyRing.parse(line1, 'PAYLOAD_KEYS'); // test-1 only
const after = KeyRing.parse(`${line2}\n${line1}`, 'PAYLOAD_KEYS'); // test-2 first, test-1 still opens
const onlyNew = KeyRing.parse(line2, 'PAYLOAD_KEYS');

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
const taskQueue = `rotation-${randomUUID()}`;

beforeAll(async () => {
  env = await sharedDevServerEnv();
  sink = await startSmtpSink();
});

afterAll(async () => {
  await env?.teardown();
  await sink?.close();
});

const clientWith = (ring: KeyRing) => new Client({ connection: env.connection, namespace: env.namespace!, dataConverter: dataConverter(ring) });
const workerWith = (ring: KeyRing) =>
  createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace!,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: createActivities({ mail: testMailSettings(sink) }),
    dataConverter: dataConverter(ring),
  });

async function keyIdsOf(client: Client, disputeId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(disputeId).fetchHistory();
  const ids = new Set<string>();
  for (const event of history.events ?? []) {
    const input = event.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? [];
    const result = event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
    for (const payload of [...input, ...update, ...result]) ids.add(`${proto.temporal.api.enums.v1.EventType[event.eventType ?? 0]}:${payloadKeyId(payload)}`);
  }
  return [...ids];
}

/** `dispute keys …` as the CLI runs it (the lead wires keysCommand into the commander program), with this environment. */
async function keysCli(args: string[], environment: Record<string, string>): Promise<string> {
  const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  const lines: string[] = [];
  try {
    await keysCommand(args, (line) => lines.push(line));
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return lines.join('\n');
}

describe('key rotation', () => {
  it('a dispute started under key 1 finishes under key 2, and rotate-check reports the keys open disputes need', async () => {
    const oldClient = clientWith(before);
    const start = buildDisputeStart(
      { policy: 'norfolk-nsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('norfolk', 'gp', 'asc'), personReference: 'ROT-1', summary: 'Started under key 1.' },
      realClockContext,
    );
    const first = await workerWith(before);
    await first.runUntil(async () => {
      await startDispute(oldClient, taskQueue, start);
      await oldClient.workflow.getHandle(start.disputeId).executeUpdate(recordOutcome, {
        args: [{ stage: 1, decision: 'unresolved', by: 'robin.other@norfolk-asc.example.org', reason: 'Under key 1.' }],
      });
    });

    // Key 2 goes first; a new worker (no cache: it replays the key-1 history) and a new client.
    const newClient = clientWith(after);
    let report = await eventually(() => rotationReport(newClient, after), (found) => found.keys.some((key) => key.openDisputes.includes(start.disputeId)));
    expect(report.keys.find((key) => key.keyId === 'test-1')).toMatchObject({ inRing: true, encrypts: false, openDisputes: expect.arrayContaining([start.disputeId]) });
    expect(report.keys.find((key) => key.keyId === 'test-2')).toMatchObject({ inRing: true, encrypts: true });
    expect(report.keys.find((key) => key.keyId === 'test-2')!.openDisputes).not.toContain(start.disputeId);

    const second = await workerWith(after);
    const record = await second.runUntil(async () => {
      const handle = newClient.workflow.getHandle(start.disputeId);
      expect((await handle.query(disputeState)).stage).toBe(2);
      await handle.executeUpdate(recordOutcome, { args: [{ stage: 2, decision: 'resolved', by: contactsAt('norfolk', 'asc', 2)[0]!, agreedActions: 'Under key 2.' }] });
      return (await handle.result()) as DisputeRecord;
    });
    expect(JSON.stringify(record)).toContain('Under key 2.');
    expect(JSON.stringify(record)).toContain('Under key 1.');

    const ids = await keyIdsOf(newClient, start.disputeId);
    expect(ids).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:test-1');
    expect(ids).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:test-1');
    expect(ids).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:test-2');
    expect(ids).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:test-2');
    // Key 1 is still needed to read what it sealed: a ring without it cannot.
    await expect(clientWith(onlyNew).workflow.getHandle(start.disputeId).result()).resolves.toBeDefined(); // the result is under key 2
    const startedEvent = (await newClient.workflow.getHandle(start.disputeId).fetchHistory()).events![0]!;
    const input = startedEvent.workflowExecutionStartedEventAttributes!.input!.payloads!;
    await expect(new EncryptionCodec(onlyNew).decode(input)).rejects.toThrow("sealed under key 'test-1', which is not in the key ring (keys: test-2)");
    await expect(new EncryptionCodec(after).decode(input)).resolves.toHaveLength(1);

    // Closed: no open dispute needs key 1 any more.
    report = await eventually(() => rotationReport(newClient, after), (found) => !found.keys.some((key) => key.openDisputes.includes(start.disputeId)));
    expect(formatRotationReport(report).join('\n')).toMatch(/no open dispute needs test-1/);

    const history = await newClient.workflow.getHandle(start.disputeId).fetchHistory();
    const dir = process.env.RECORD_HISTORIES ? 'test/fixtures/histories' : '.cache/histories';
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/key-rotation.history.bin`, proto.temporal.api.history.v1.History.encode(history).finish());
  }, 120_000);

  it('`dispute keys rotate-check` prints which keys open disputes use', async () => {
    const client = clientWith(after);
    const start = buildDisputeStart(
      { policy: 'norfolk-nsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('norfolk', 'gp', 'asc'), personReference: 'ROT-2', summary: 'Open under key 2.' },
      realClockContext,
    );
    const worker = await workerWith(after);
    await worker.runUntil(async () => {
      await startDispute(client, taskQueue, start);
      await eventually(() => rotationReport(client, after), (found) => found.keys.some((key) => key.openDisputes.includes(start.disputeId)));
      const printed = await keysCli(['rotate-check'], { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace!, PAYLOAD_KEYS: `${line2}\n${line1}` });
      expect(printed).toMatch(new RegExp(`test-2 +encrypts new payloads +used by \\d+ open dispute\\(s\\): .*${start.disputeId}`));
      const json = JSON.parse(await keysCli(['rotate-check', '--json'], { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace!, PAYLOAD_KEYS: line1 }));
      // A ring without test-2: rotate-check says an open dispute needs a key it lacks.
      expect(json.keys).toContainEqual({ keyId: 'test-2', inRing: false, encrypts: false, openDisputes: expect.arrayContaining([start.disputeId]) });
      await client.workflow.getHandle(start.disputeId).terminate('test finished');
    });
  }, 120_000);
});
