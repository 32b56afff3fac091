import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { loadConfig } from '../../runtime/config';
import { KeyRing, loadKeyRing } from '../../runtime/key-ring';
import { payloadKeyId } from '../../runtime/payload-codec';
import { OperatorKeys } from '../api/operator-keys';
import { connectDisputes } from '../operations';
import { UsageError } from './errors';

// `dispute keys`: a new payload key, a new operator key, and which payload keys open disputes
// still need before an old key can leave PAYLOAD_KEYS.

export const keysUsage = `usage: dispute keys new [--id <key id>]
       dispute keys operator --name <who>
       dispute keys rotate-check [--json]`;

export interface KeyUsage {
  keyId: string;
  /** In PAYLOAD_KEYS; false: an open dispute needs a key the ring lacks, and cannot run. */
  inRing: boolean;
  /** The key new payloads are sealed under. */
  encrypts: boolean;
  openDisputes: string[];
}

export interface RotationReport {
  openDisputes: number;
  keys: KeyUsage[];
  /** Open disputes with payloads in clear, from before encryption. */
  inClear: string[];
}

/** Reads every open dispute's history, undecoded, and counts the key ids on its payloads. */
export async function rotationReport(client: Client, keyRing: KeyRing): Promise<RotationReport> {
  const users = new Map<string, Set<string>>(keyRing.keyIds.map((id) => [id, new Set()]));
  const inClear: string[] = [];
  let openDisputes = 0;
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'dispute' AND ExecutionStatus = 'Running'` })) {
    openDisputes++;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    let clear = false;
    for (const payload of payloadsIn(history)) {
      const keyId = payloadKeyId(payload);
      if (keyId === undefined) clear = true;
      else users.set(keyId, (users.get(keyId) ?? new Set()).add(execution.workflowId));
    }
    if (clear) inClear.push(execution.workflowId);
  }
  return {
    openDisputes,
    keys: [...users].map(([keyId, disputes]) => ({ keyId, inRing: keyRing.has(keyId), encrypts: keyId === keyRing.currentKeyId, openDisputes: [...disputes].sort() })),
    inClear: inClear.sort(),
  };
}

/** Every codec-encoded Payload in a history: inputs, results, signals, updates, memo, failures, summaries. */
function* payloadsIn(node: unknown, seen = new Set<object>()): Generator<Payload> {
  if (!node || typeof node !== 'object' || ArrayBuffer.isView(node) || seen.has(node)) return;
  seen.add(node);
  const record = node as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && !ArrayBuffer.isView(record.metadata) && 'data' in record) {
    yield record as Payload;
    return;
  }
  // Search attributes are payloads the codec never sees: in clear by design, and free of personal data.
  const children = Array.isArray(node) ? node : Object.entries(record).filter(([key]) => key !== 'searchAttributes').map(([, value]) => value);
  for (const value of children) yield* payloadsIn(value, seen);
}

export function formatRotationReport(report: RotationReport): string[] {
  const lines = [`open disputes: ${report.openDisputes}`];
  for (const key of report.keys) {
    const role = !key.inRing ? 'MISSING from PAYLOAD_KEYS' : key.encrypts ? 'encrypts new payloads' : 'decrypts only';
    const used = key.openDisputes.length ? `used by ${key.openDisputes.length} open dispute(s): ${key.openDisputes.join(', ')}` : 'used by no open dispute';
    lines.push(`  ${key.keyId.padEnd(20)} ${role.padEnd(26)} ${used}`);
  }
  if (report.inClear.length) lines.push(`  payloads in clear (started before encryption): ${report.inClear.join(', ')}`);
  const retirable = report.keys.filter((key) => key.inRing && !key.encrypts && key.openDisputes.length === 0).map((key) => key.keyId);
  if (retirable.length) lines.push(`no open dispute needs ${retirable.join(', ')}; closed disputes kept by Temporal's retention still may`);
  return lines;
}

export async function keysCommand(args: string[], out: (text: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  let values: { id?: string | undefined; name?: string | undefined; json?: boolean | undefined };
  try {
    values = parseArgs({ args: rest, options: { id: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } } }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${keysUsage}`);
  }
  switch (sub) {
    case 'new': {
      const id = values.id ?? `key-${new Date().toISOString().slice(0, 10)}`;
      let line: string;
      try {
        line = KeyRing.newLine(id);
      } catch (error) {
        throw new UsageError(`--id: ${(error as Error).message}`);
      }
      out('line for PAYLOAD_KEYS (put it first to encrypt new payloads with it; keep the old lines until rotate-check shows them unused):');
      out(line);
      return;
    }
    case 'operator': {
      if (!values.name) throw new UsageError(`--name is needed\n${keysUsage}`);
      const key = `dop_${randomBytes(24).toString('base64url')}`;
      out(`operator key (give it to the operator; it is not kept): ${key}`);
      out('line for the operator keys file:');
      out(`  - { name: ${JSON.stringify(values.name)}, sha256: ${OperatorKeys.hash(key)} }`);
      return;
    }
    case 'rotate-check': {
      const config = loadConfig();
      const keyRing = loadKeyRing(config, { local: true });
      let connected;
      try {
        connected = await connectDisputes(config, { connectTimeoutMs: 5_000, keyRing });
      } catch {
        throw new UsageError(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
      }
      try {
        const report = await rotationReport(connected.disputes.client, keyRing);
        if (values.json) out(JSON.stringify(report));
        else for (const line of formatRotationReport(report)) out(line);
      } finally {
        await connected.close();
      }
      return;
    }
    default:
      throw new UsageError(keysUsage);
  }
}
