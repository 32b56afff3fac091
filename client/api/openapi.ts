import { z } from 'zod';

// The OpenAPI document, built from the same zod schemas the routes parse with.

export interface RouteDoc {
  method: 'GET' | 'POST';
  /** OpenAPI style: /disputes/{disputeId} */
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  responses: Record<number, string>;
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const ErrorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
};

const errors = {
  400: 'invalid request (`invalid_request`): the field and what was expected; unknown fields are refused',
  401: 'no API key',
  403: 'the key is not recognised, or may not do this',
  404: 'no such dispute (or not one this key may see)',
  409: 'the stage has passed or the dispute is closed',
  422: 'not allowed by the policy at this stage (`not_allowed`), or an Idempotency-Key reused with a different body (`idempotency_key_reused`)',
  503: 'Temporal is down or not answering (`unavailable`); nothing was changed, try again',
};

export function openApiDocument(routes: RouteDoc[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    if (route.path.includes('{disputeId}')) parameters.push({ name: 'disputeId', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]{6,80}$' } });
    if (route.query) {
      const schema = jsonSchema(route.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
      }
    }
    if (route.idempotent) parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } });
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries({ ...route.responses, ...errors })) {
      responses[status] = Number(status) >= 400 ? { description, content: { 'application/json': { schema: ErrorBody } } } : { description };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      security: [{ apiKey: [] }],
      parameters,
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Safeguarding disputes API', version: '1', description: 'Resolution of professional differences between agencies, for agency case systems.' },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An agency’s or a board’s API key' } } },
    paths,
  };
}
