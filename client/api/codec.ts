import type { Payload } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../../runtime/errors';
import { AccessLogUnavailable, type AccessEntry, type AccessLog } from '../../records/access-log';
import type { KeyRing } from '../../runtime/key-ring';
import { EncryptionCodec, payloadKeyId } from '../../runtime/payload-codec';
import type { Operator, OperatorKeys } from './operator-keys';

// Temporal's remote codec protocol (POST …/encode, …/decode with Payloads as protobuf JSON), for
// the Web UI and `temporal … --codec-endpoint`. Only an operator decodes: by `Authorization:
// Bearer <operator key>`, or, since the Web UI sends that header only over HTTPS with its own
// sign-in token, by the key in the endpoint's path (`/codec/operator/<key>`), entered in the UI's
// codec settings. Anyone else is answered 401/403 with the payloads as they came, so the UI keeps
// showing ciphertext.

export interface CodecOptions {
  keyRing: KeyRing;
  operators: OperatorKeys;
  /** Web UI origins allowed to call from a browser (CORS), e.g. http://localhost:8233. */
  origins: string[];
  /** One line per call: which operator, how many payloads. Never a payload. */
  log?: (line: string) => void;
  /** Where each decode is recorded before it is answered; a decode that cannot be recorded is refused (503). */
  accessLog?: AccessLog | undefined;
}

// Protobuf JSON: bytes are base64 (either alphabet), maps are objects.
const Base64 = z.string().max(8 * 1024 * 1024).regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const JsonPayload = z.object({ metadata: z.record(z.string().min(1).max(256), Base64).optional(), data: Base64.optional() }).strict();
const JsonPayloads = z.object({ payloads: z.array(JsonPayload).max(10_000) }).strict();
type JsonPayload = z.infer<typeof JsonPayload>;

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data ?? '', 'base64'),
});
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

/** CODEC_UI_ORIGINS, or the embedded dev server's Web UI by both its names. */
export function codecOrigins(config: { CODEC_UI_ORIGINS?: string | undefined; TEMPORAL_UI_PORT: number }): string[] {
  if (config.CODEC_UI_ORIGINS) return config.CODEC_UI_ORIGINS.split(',').map((origin) => origin.trim().replace(/\/$/, ''));
  return [`http://localhost:${config.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`];
}

const bearer = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^Bearer \S+$/i.test(header) ? header.slice(7) : undefined;
};

export function registerCodec(app: FastifyInstance, options: CodecOptions): void {
  const codec = new EncryptionCodec(options.keyRing);
  const origins = new Set(options.origins);

  const cors = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !origins.has(origin)) return false;
    reply
      .header('access-control-allow-origin', origin)
      .header('vary', 'Origin')
      .header('access-control-allow-credentials', 'true')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
      .header('access-control-max-age', '600');
    return true;
  };

  const operatorOf = (request: FastifyRequest): Operator | 'none' | 'unknown' => {
    const key = (request.params as { key?: string }).key ?? bearer(request);
    if (!key) return 'none';
    return options.operators.identify(key) ?? 'unknown';
  };

  const handle = (action: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
    cors(request, reply);
    const parsed = JsonPayloads.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: 'invalid_request', message: `body: ${describeIssues(parsed.error)}`, field: issue?.path.map(String).join('.') || undefined });
    }
    const operator = operatorOf(request);
    if (operator === 'none' || operator === 'unknown') {
      const [status, code, message] =
        operator === 'none'
          ? [401, 'unauthenticated', 'an operator key is needed: "Authorization: Bearer <key>", or the endpoint /codec/operator/<key>']
          : [403, 'forbidden', 'this operator key is not recognised'];
      options.log?.(`codec ${action} refused (${code}): ${parsed.data.payloads.length} payload(s)`);
      return reply.code(status).send({ error: code, message, payloads: parsed.data.payloads });
    }
    const payloads = parsed.data.payloads.map(fromJson);
    if (action === 'encode') {
      const encoded = await codec.encode(payloads);
      options.log?.(`codec encode by operator '${operator.name}': ${payloads.length} payload(s)`);
      return reply.code(200).send({ payloads: encoded.map(toJson) });
    }
    const decoded = await Promise.all(payloads.map((payload) => decodeOne(codec, payload)));
    try {
      await options.accessLog?.record(decodeEntries(decoded, operator));
    } catch (error) {
      if (!(error instanceof AccessLogUnavailable)) throw error;
      options.log?.(`codec decode refused (the access log cannot be written): ${payloads.length} payload(s)`);
      return reply.code(503).send({ error: 'unavailable', message: 'the access log cannot be written just now, so nothing is decoded; try again shortly', payloads: parsed.data.payloads });
    }
    options.log?.(`codec decode by operator '${operator.name}': ${payloads.length} payload(s)`);
    return reply.code(200).send({ payloads: decoded.map((result) => toJson(result.payload)) });
  };

  for (const base of ['/codec', '/codec/operator/:key']) {
    for (const action of ['encode', 'decode'] as const) {
      app.route({ method: 'POST', url: `${base}/${action}`, bodyLimit: 16 * 1024 * 1024, handler: handle(action) });
      app.route({ method: 'OPTIONS', url: `${base}/${action}`, handler: async (request, reply) => reply.code(cors(request, reply) ? 204 : 403).send() });
    }
  }
}

/** A payload no key of the ring opens (a retired key, an altered one) is returned as it came. */
async function decodeOne(codec: EncryptionCodec, payload: Payload): Promise<{ payload: Payload; opened: boolean }> {
  if (payloadKeyId(payload) === undefined) return { payload, opened: false };
  try {
    const [decoded] = await codec.decode([payload]);
    return { payload: decoded!, opened: true };
  } catch {
    return { payload, opened: false };
  }
}

/** Disputes one decode may itemise in the access log; the rest are counted in its last entry. */
const MAX_DISPUTES_PER_DECODE = 50;
const DisputeIdPattern = /^[a-z0-9-]{6,80}$/;

/**
 * The access log's entries for one decode. The Web UI sends payloads and the namespace, never the
 * workflow they came from, so a payload is put down to a dispute only when its own JSON names one
 * (`disputeId`: the workflow's input, its query answers and its activities' inputs do); payloads
 * that name none are counted in one entry without a dispute. Only payloads this call opened count.
 */
export function decodeEntries(decoded: readonly { payload: Payload; opened: boolean }[], operator: Operator): AccessEntry[] {
  const perDispute = new Map<string, number>();
  let unnamed = 0;
  let opened = 0;
  for (const result of decoded) {
    if (!result.opened) continue;
    opened += 1;
    const ids = disputeIdsIn(result.payload);
    if (ids.length === 0) unnamed += 1;
    for (const id of ids) perDispute.set(id, (perDispute.get(id) ?? 0) + 1);
  }
  if (opened === 0) return [];
  const who = { kind: 'operator' as const, name: operator.name };
  const itemised = [...perDispute].slice(0, MAX_DISPUTES_PER_DECODE);
  const left = perDispute.size - itemised.length;
  const entries: AccessEntry[] = itemised.map(([disputeId, count]) => ({ disputeId, channel: 'codec', action: 'decode', who, detail: `${count} of ${opened} payload(s) opened` }));
  if (unnamed > 0 || left > 0) {
    const parts = [`${unnamed} of ${opened} payload(s) opened name no dispute`, ...(left > 0 ? [`${left} more dispute(s) not itemised`] : [])];
    entries.push({ disputeId: null, channel: 'codec', action: 'decode', who, detail: parts.join('; ') });
  }
  return entries;
}

/** Every `disputeId` a JSON payload carries, at any depth (an email activity's input has it under `facts`). */
function disputeIdsIn(payload: Payload): string[] {
  if (Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString() !== 'json/plain') return [];
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
  } catch {
    return [];
  }
  const found = new Set<string>();
  const walk = (node: unknown, depth: number): void => {
    if (depth > 12 || node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'disputeId' && typeof child === 'string' && DisputeIdPattern.test(child)) found.add(child);
      else walk(child, depth + 1);
    }
  };
  walk(value, 0);
  return [...found];
}
