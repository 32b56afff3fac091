import { readFileSync } from 'node:fs';
import { defaultPayloadConverter } from '@temporalio/common';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerCodec } from '../client/api/codec';
import { OperatorKeys } from '../client/api/operator-keys';
import { KeyRing } from '../runtime/key-ring';
import { testPayloadKeys } from './support/temporal';

// The codec endpoint over real HTTP, as the Web UI and `temporal --codec-endpoint` call it.

const UI = 'http://localhost:8233';
const keyRing = KeyRing.parse(testPayloadKeys, 'PAYLOAD_KEYS');
const operator = 'op-key-for-tests-only';
let app: FastifyInstance;
let base: string;
const logged: string[] = [];

beforeAll(async () => {
  app = Fastify();
  registerCodec(app, {
    keyRing,
    operators: OperatorKeys.parse(`operators:\n  - { name: "on-call operator", sha256: ${OperatorKeys.hash(operator)} }\n`, 'OPERATOR_KEYS'),
    origins: [UI],
    log: (line) => logged.push(line),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
});

const asJson = (value: unknown) => {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([key, bytes]) => [key, Buffer.from(bytes!).toString('base64')])),
    data: Buffer.from(payload.data!).toString('base64'),
  };
};

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { payloads?: { metadata: Record<string, string>; data: string }[]; error?: string; field?: string } };
}

const text = (payload: { data: string }) => Buffer.from(payload.data, 'base64').toString('utf8');

describe('the codec endpoint', () => {
  it('encodes and decodes for an operator, by Authorization header or by the key in the path', async () => {
    const plain = { payloads: [asJson({ summary: 'Pat at 14 Acacia Avenue' }), asJson('second')] };
    const encoded = await post('/codec/encode', plain, { authorization: `Bearer ${operator}` });
    expect(encoded.status).toBe(200);
    expect(encoded.body.payloads).toHaveLength(2);
    expect(Buffer.from(encoded.body.payloads![0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.body.payloads![0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('test-2');
    expect(text(encoded.body.payloads![0]!)).not.toContain('Acacia');

    const decoded = await post('/codec/decode', encoded.body, { authorization: `Bearer ${operator}` });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual(plain);
    const byPath = await post(`/codec/operator/${operator}/decode`, encoded.body);
    expect(byPath.body).toEqual(plain);
    expect(logged).toContain("codec decode by operator 'on-call operator': 2 payload(s)");
    expect(logged.join('\n')).not.toContain(operator);
  });

  it('answers anyone else 401 or 403 with the payloads as they came: ciphertext', async () => {
    const [sealed] = (await post('/codec/encode', { payloads: [asJson('RMBC-000123')] }, { authorization: `Bearer ${operator}` })).body.payloads!;
    const anonymous = await post('/codec/decode', { payloads: [sealed] });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: 'unauthenticated', payloads: [sealed] });
    const wrong = await post('/codec/decode', { payloads: [sealed] }, { authorization: 'Bearer not-an-operator' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.payloads).toEqual([sealed]);
    const wrongPath = await post('/codec/operator/not-an-operator/decode', { payloads: [sealed] });
    expect(wrongPath.status).toBe(403);
    expect(JSON.stringify([anonymous.body, wrong.body, wrongPath.body])).not.toContain(Buffer.from('"RMBC-000123"').toString('base64'));
  });

  it('passes payloads in clear, and leaves one it cannot open as it came', async () => {
    const clear = asJson({ stage: 2, decision: 'unresolved' });
    const foreign = await post('/codec/encode', { payloads: [asJson('x')] }, { authorization: `Bearer ${operator}` });
    const retired = { ...foreign.body.payloads![0]!, metadata: { ...foreign.body.payloads![0]!.metadata, 'encryption-key-id': Buffer.from('retired-0').toString('base64') } };
    const decoded = await post('/codec/decode', { payloads: [clear, retired] }, { authorization: `Bearer ${operator}` });
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toEqual([clear, retired]);
  });

  it('allows the Web UI origin by CORS, and no other', async () => {
    const preflight = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await fetch(`${base}/codec/operator/${operator}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const posted = await post('/codec/decode', { payloads: [] }, { origin: UI, authorization: `Bearer ${operator}` });
    expect(posted.headers.get('access-control-allow-origin')).toBe(UI);
  });

  it('refuses a malformed body with 400 naming the field, before any key is checked', async () => {
    const unknown = await post('/codec/decode', { payloads: [{ data: 'AA==', extra: 1 }] }, { authorization: `Bearer ${operator}` });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'invalid_request', field: 'payloads.0' });
    const notBase64 = await post('/codec/decode', { payloads: [{ data: 'not base64!' }] });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.field).toBe('payloads.0.data');
    const notPayloads = await post('/codec/encode', { something: [] });
    expect(notPayloads.status).toBe(400);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string | number>; secrets?: string[] }>;
    secrets: Record<string, { file: string }>;
  };

  it("points the Web UI at the API's codec endpoint, and gives every process that talks to Temporal the key ring", () => {
    expect(compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT).toMatch(/^\$\{PUBLIC_URL:\?.*\}\/codec$/);
    for (const name of ['worker', 'api', 'inbound-mail']) {
      expect(compose.services[name]!.environment!.PAYLOAD_KEYS_FILE, name).toBe('/run/secrets/payload-keys');
      expect(compose.services[name]!.secrets, name).toContain('payload-keys');
    }
    expect(compose.services.api!.environment).toMatchObject({ OPERATOR_KEYS_FILE: '/run/secrets/operator-keys', CODEC_UI_ORIGINS: 'http://localhost:8233' });
    expect(Object.keys(compose.secrets)).toEqual(expect.arrayContaining(['payload-keys', 'operator-keys']));
  });
});
