import type {
  MediaTypeObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { testDatabases } from '../support/databases';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';
import { MESSAGE_FIELDS } from '../support/contract';

/*
 * Checks /openapi.json as the running app serves it. Every rule walks all documented operations,
 * so a new route is held to the same standard without touching this file; each test collects every
 * problem it finds and reports them together, one line per problem.
 */

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
/** The rename's and the session delete's path: OAS wants one name for its parameter. */
const RENAME_PATH = '/api/v1/monitor/messages/session/{session_id}';
const AUTH_ERRORS = ['An API key must be passed as query or header', 'Invalid or missing API key'];
const VALIDATION_SOURCES = ['path', 'query', 'body'];
/** The routes the contract and issue 2 say answer 404, with the sentence they answer. */
const CONTRACT_NOT_FOUND: Record<string, string> = {
  [`PATCH ${RENAME_PATH}`]: 'No messages found with the given session ID',
  'POST /api/v1/monitor/messages': 'Flow not found',
  'GET /api/v1/monitor/messages/{message_id}': 'Message not found',
  'PUT /api/v1/monitor/messages/{message_id}': 'Message not found',
};

/** Routes addressed by path that answer 204 for a missing resource instead of 404 (idempotent deletes). */
const IDEMPOTENT_DELETES = new Set(['DELETE /api/v1/monitor/messages/session/{session_id}']);

/** Routes whose success answer is not JSON, with their media type. */
const NON_JSON_SUCCESS: Record<string, string> = {
  'GET /api/v1/monitor/messages/export': 'application/x-ndjson',
};

/** Routes whose request body is not JSON, with its media type. */
const NON_JSON_BODY: Record<string, string> = {
  'POST /api/v1/monitor/messages/import': 'application/x-ndjson',
};

interface Operation {
  /** "PATCH /api/v1/…", for messages. */
  label: string;
  path: string;
  method: string;
  operation: OperationObject;
}

type Schema = SchemaObject | ReferenceObject;

describe('GET /openapi.json', () => {
  let testApp: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    // The document does not depend on the database, so SQLite alone is enough.
    const [sqlite] = testDatabases();
    fs.mkdirSync(path.join(os.tmpdir(), 'monitor-e2e'), { recursive: true });
    testApp = await startTestApp(sqlite);
    const response = await testApp.api.get<OpenAPIObject>('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = response.body;
  });

  afterAll(async () => {
    await testApp?.close();
  });

  function operations(): Operation[] {
    const found: Operation[] = [];
    for (const [routePath, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (operation) {
          found.push({
            label: `${method.toUpperCase()} ${routePath}`,
            path: routePath,
            method,
            operation,
          });
        }
      }
    }
    return found;
  }

  const isApi = (op: Operation) => op.path.startsWith('/api/v1/');

  function resolve<T extends object>(value: T | ReferenceObject): T {
    if (!('$ref' in value)) {
      return value;
    }
    const [, , section, name] = value.$ref.split('/');
    const target = (document.components as Record<string, Record<string, unknown>>)[section]?.[
      name
    ];
    if (!target) {
      throw new Error(`unresolvable $ref ${value.$ref}`);
    }
    return resolve(target as T | ReferenceObject);
  }

  function parametersOf(op: Operation): ParameterObject[] {
    return (op.operation.parameters ?? []).map((parameter) => resolve<ParameterObject>(parameter));
  }

  /** True when the schema, or everything inside it, carries an example a reader can copy. */
  function schemaHasExample(schema: Schema, seen = new Set<string>()): boolean {
    if ('$ref' in schema) {
      if (seen.has(schema.$ref)) {
        return true;
      }
      return schemaHasExample(resolve(schema), new Set([...seen, schema.$ref]));
    }
    if (schema.example !== undefined || schema.examples !== undefined) {
      return true;
    }
    if (schema.type === 'array' && schema.items) {
      return schemaHasExample(schema.items, seen);
    }
    const properties = Object.values(schema.properties ?? {});
    if (properties.length > 0) {
      return properties.every((property) => schemaHasExample(property, seen));
    }
    const variants = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
    return variants.length > 0 && variants.some((variant) => schemaHasExample(variant, seen));
  }

  function mediaExamples(media: MediaTypeObject): unknown[] {
    const values: unknown[] = [];
    if (media.example !== undefined) {
      values.push(media.example);
    }
    for (const example of Object.values(media.examples ?? {})) {
      values.push(resolve(example).value);
    }
    return values;
  }

  function jsonContent(response: ResponseObject | RequestBodyObject): MediaTypeObject | undefined {
    return response.content?.['application/json'];
  }

  function responsesOf(op: Operation): [string, ResponseObject][] {
    return Object.entries(op.operation.responses ?? {}).map(([status, response]) => [
      status,
      resolve<ResponseObject>(response as ResponseObject | ReferenceObject),
    ]);
  }

  /** The example bodies an operation documents for one status; none when the status is missing. */
  function responseExamples(operation: OperationObject | undefined, status: string): unknown[] {
    const response = operation?.responses?.[status];
    const media = response && jsonContent(resolve(response));
    return media ? mediaExamples(media) : [];
  }

  /** Why an error body is not in the contract's shape, or null when it is. */
  function errorShapeProblem(status: string, body: unknown): string | null {
    if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'detail') {
      return `is not {"detail": …}: ${JSON.stringify(body)}`;
    }
    const { detail } = body as { detail: unknown };
    if (status !== '422') {
      return typeof detail === 'string' && detail.length > 0 ? null : 'detail is not a sentence';
    }
    if (!Array.isArray(detail) || detail.length === 0) {
      return 'a 422 detail is not a non-empty list of issues';
    }
    for (const issue of detail as Record<string, unknown>[]) {
      if (Object.keys(issue).sort().join() !== 'input,loc,msg,type') {
        return `issue ${JSON.stringify(issue)} does not have exactly type, loc, msg, input`;
      }
      const loc = issue.loc as unknown[];
      if (typeof issue.type !== 'string' || typeof issue.msg !== 'string' || !Array.isArray(loc)) {
        return `issue ${JSON.stringify(issue)} has wrong types`;
      }
      if (!VALIDATION_SOURCES.includes(loc[0] as string)) {
        return `loc ${JSON.stringify(loc)} does not start with path, query or body`;
      }
    }
    return null;
  }

  function expectNoProblems(problems: string[]): void {
    // One readable list rather than the first failure only.
    expect(problems.join('\n')).toBe('');
  }

  it('is the committed openapi.json (after a change, `npm run openapi:write` regenerates it)', () => {
    const committed = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'openapi.json'), 'utf8'),
    ) as OpenAPIObject;
    // The Swagger plugin lists a union type's values in the order the compiler happens to hold
    // them, which differs between nest build and ts-jest; the values themselves must agree.
    const sortedEnums = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value), (key, item: unknown) =>
        key === 'enum' && Array.isArray(item) ? [...(item as string[])].sort() : item,
      );
    expect(sortedEnums(document)).toEqual(sortedEnums(committed));
  });

  it('is OpenAPI 3 with an api_key scheme: apiKey in the x-api-key header', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('monitor-service');
    expect(document.components?.securitySchemes?.api_key).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
  });

  it('documents every route the app serves', () => {
    // By shape: the document may name a path parameter otherwise than the route (see RENAME_PATH).
    const shape = (label: string) => label.replace(/\{\w+\}/g, '{}');
    const documented = new Set(operations().map((op) => shape(op.label)));
    // Express 5 keeps its routes on app.router; Swagger UI's own routes are not API routes.
    const express = testApp.app.getHttpAdapter().getInstance();
    const served: string[] = [];
    for (const layer of express.router.stack as any[]) {
      // /metrics speaks Prometheus's format to scrapers, not the API's: README documents it.
      if (!layer.route || /^\/(docs|openapi|metrics)\b/.test(layer.route.path)) {
        continue;
      }
      const routePath = (layer.route.path as string).replace(/:(\w+)/g, '{$1}');
      for (const method of Object.keys(layer.route.methods)) {
        served.push(`${method.toUpperCase()} ${routePath}`);
      }
    }

    expect(served.length).toBeGreaterThanOrEqual(7);
    expectNoProblems(
      served
        .filter((route) => !documented.has(shape(route)))
        .map((route) => `${route} is not documented`),
    );
  });

  it('gives every operation a summary, a description and a described tag', () => {
    const problems: string[] = [];
    for (const op of operations()) {
      if (!op.operation.summary?.trim()) {
        problems.push(`${op.label}: no summary`);
      }
      if (!op.operation.description?.trim()) {
        problems.push(`${op.label}: no description`);
      }
      if (!op.operation.tags?.length) {
        problems.push(`${op.label}: no tag`);
      }
      for (const tag of op.operation.tags ?? []) {
        if (!document.tags?.some((declared) => declared.name === tag && declared.description)) {
          problems.push(`${op.label}: tag "${tag}" is not declared with a description`);
        }
      }
    }
    expectNoProblems(problems);
  });

  it('requires api_key on every /api/v1 route and nothing on the others', () => {
    const problems: string[] = [];
    for (const op of operations()) {
      const security = op.operation.security ?? document.security ?? [];
      const schemes = security.flatMap((requirement) => Object.keys(requirement));
      if (isApi(op) && !security.some((requirement) => 'api_key' in requirement)) {
        problems.push(`${op.label}: does not require api_key`);
      }
      // The OTLP receiver sits at OTLP/HTTP's own path, outside /api/v1, and takes the key all the same.
      if (!isApi(op) && schemes.length > 0 && op.label !== 'POST /v1/traces') {
        problems.push(`${op.label}: is open but requires ${schemes.join(', ')}`);
      }
    }
    expectNoProblems(problems);
  });

  it('describes every parameter with a schema and a description or example', () => {
    const problems: string[] = [];
    for (const op of operations()) {
      const parameters = parametersOf(op);
      for (const parameter of parameters) {
        const where = `${op.label}: ${parameter.in} parameter ${parameter.name}`;
        if (!parameter.schema) {
          problems.push(`${where} has no schema`);
        }
        const example =
          parameter.example ??
          Object.values(parameter.examples ?? {})[0] ??
          (parameter.schema && resolve<SchemaObject>(parameter.schema).example);
        if (!parameter.description?.trim() && example === undefined) {
          problems.push(`${where} has neither a description nor an example`);
        }
        if (parameter.in === 'path' && parameter.required !== true) {
          problems.push(`${where} is not required`);
        }
      }
      // Every {name} in the path template is a documented path parameter, and nothing else is.
      const inTemplate = [...op.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const inPath = parameters
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      if (inTemplate.join() !== inPath.join()) {
        problems.push(
          `${op.label}: path parameters [${inPath.join()}] do not match the template [${inTemplate.join()}]`,
        );
      }
    }
    expectNoProblems(problems);
  });

  it('gives every request body a schema and examples', () => {
    const problems: string[] = [];
    for (const op of operations()) {
      if (!op.operation.requestBody) {
        continue;
      }
      const body = resolve<RequestBodyObject>(op.operation.requestBody);
      const media = NON_JSON_BODY[op.label]
        ? body.content?.[NON_JSON_BODY[op.label]]
        : jsonContent(body);
      if (!media?.schema) {
        problems.push(
          `${op.label}: request body has no ${NON_JSON_BODY[op.label] ?? 'application/json'} schema`,
        );
        continue;
      }
      // A whole-body example, not only per-field ones: it is what Swagger UI puts in "Try it out".
      if (mediaExamples(media).length === 0) {
        problems.push(`${op.label}: request body has no example`);
      }
    }
    expectNoProblems(problems);
  });

  it('documents request-body examples that the route accepts', async () => {
    const problems: string[] = [];
    let tried = 0;
    // Routes addressed by a path parameter would need a resource to exist first; the others can
    // take their examples as they are.
    for (const op of operations().filter(
      (op) => op.operation.requestBody && !op.path.includes('{'),
    )) {
      const body = resolve<RequestBodyObject>(op.operation.requestBody!);
      const type = NON_JSON_BODY[op.label];
      const media = (type ? body.content?.[type] : jsonContent(body)) ?? {};
      for (const example of mediaExamples(media)) {
        tried += 1;
        const response = await testApp.api.request(op.method.toUpperCase(), op.path, {
          key: ADMIN_KEY,
          ...(type
            ? { rawBody: example as string, headers: { 'content-type': type } }
            : { body: example }),
        });
        if (response.status < 200 || response.status > 299) {
          problems.push(
            `${op.label}: example ${JSON.stringify(example)} answered ${response.status} ${response.text}`,
          );
        }
      }
    }
    expect(tried).toBeGreaterThan(0);
    expectNoProblems(problems);
  });

  it('gives every 2xx response a description and a schema with examples (204: no body)', () => {
    const problems: string[] = [];
    for (const op of operations()) {
      const successes = responsesOf(op).filter(([status]) => status.startsWith('2'));
      if (successes.length === 0) {
        problems.push(`${op.label}: no 2xx response`);
      }
      for (const [status, response] of successes) {
        const where = `${op.label}: ${status}`;
        if (!response.description?.trim()) {
          problems.push(`${where} has no description`);
        }
        const media = NON_JSON_SUCCESS[op.label]
          ? response.content?.[NON_JSON_SUCCESS[op.label]]
          : jsonContent(response);
        if (status === '204') {
          if (response.content) {
            problems.push(`${where} has content`);
          }
          continue;
        }
        if (!media?.schema) {
          problems.push(
            `${where} has no ${NON_JSON_SUCCESS[op.label] ?? 'application/json'} schema`,
          );
        } else if (mediaExamples(media).length === 0 && !schemaHasExample(media.schema)) {
          problems.push(`${where} has no example`);
        }
      }
    }
    expectNoProblems(problems);
  });

  it('documents 403 on every /api/v1 route, with both of the contract bodies', () => {
    const problems: string[] = [];
    for (const op of operations().filter(isApi)) {
      const forbidden = op.operation.responses?.['403'];
      if (!forbidden) {
        problems.push(`${op.label}: no 403`);
        continue;
      }
      const details = responseExamples(op.operation, '403').map(
        (example) => (example as { detail?: unknown }).detail,
      );
      for (const sentence of AUTH_ERRORS) {
        if (!details.includes(sentence)) {
          problems.push(`${op.label}: 403 has no example "${sentence}"`);
        }
      }
    }
    expectNoProblems(problems);
  });

  it('documents 422 wherever a route takes parameters or a body, naming real inputs in loc', () => {
    const problems: string[] = [];
    for (const op of operations().filter(isApi)) {
      const parameters = parametersOf(op);
      const unprocessable = op.operation.responses?.['422'];
      if (!unprocessable) {
        if (parameters.length > 0 || op.operation.requestBody) {
          problems.push(`${op.label}: takes input but documents no 422`);
        }
        continue;
      }
      for (const example of responseExamples(op.operation, '422')) {
        const detail = (example as { detail?: { loc?: unknown[] }[] }).detail;
        for (const { loc = [] } of Array.isArray(detail) ? detail : []) {
          const [source, name] = loc;
          const known =
            source === 'body'
              ? op.operation.requestBody !== undefined
              : parameters.some((p) => p.in === source && p.name === name);
          if (!known) {
            problems.push(
              `${op.label}: 422 example loc ${JSON.stringify(loc)} names no input of the route`,
            );
          }
        }
      }
    }
    expectNoProblems(problems);
  });

  it('documents 404 on routes that address a resource by path, and where the contract says so', () => {
    const problems: string[] = [];
    for (const op of operations().filter(isApi)) {
      const notFound = op.operation.responses?.['404'];
      const expected = CONTRACT_NOT_FOUND[op.label];
      const addressed = parametersOf(op).some((p) => p.in === 'path');
      if (!notFound) {
        if (expected || (addressed && !IDEMPOTENT_DELETES.has(op.label))) {
          problems.push(`${op.label}: no 404`);
        }
        continue;
      }
      const details = responseExamples(op.operation, '404').map(
        (example) => (example as { detail?: unknown }).detail,
      );
      if (expected && !details.includes(expected)) {
        problems.push(
          `${op.label}: 404 example is not "${expected}" but ${JSON.stringify(details)}`,
        );
      }
    }
    expect(
      Object.keys(CONTRACT_NOT_FOUND).filter(
        (label) => !operations().some((op) => op.label === label),
      ),
    ).toEqual([]);
    expectNoProblems(problems);
  });

  it('gives every error response of /api/v1 a description and example bodies in the contract shape', () => {
    const problems: string[] = [];
    for (const op of operations().filter(isApi)) {
      const statuses = responsesOf(op).map(([status]) => status);
      for (const status of ['500', '503']) {
        if (!statuses.includes(status)) {
          problems.push(`${op.label}: no ${status}`);
        }
      }
      for (const [status, response] of responsesOf(op)) {
        if (!/^[45]/.test(status)) {
          continue;
        }
        const where = `${op.label}: ${status}`;
        if (!response.description?.trim()) {
          problems.push(`${where} has no description`);
        }
        const media = jsonContent(response);
        if (!media?.schema) {
          problems.push(`${where} has no application/json schema`);
        }
        const examples = media ? mediaExamples(media) : [];
        if (examples.length === 0) {
          problems.push(`${where} has no example body`);
        }
        for (const example of examples) {
          const problem = errorShapeProblem(status, example);
          if (problem) {
            problems.push(`${where} example ${problem}`);
          }
        }
      }
    }
    const byStatus = (status: string) =>
      operations()
        .filter(isApi)
        .flatMap((op) => responseExamples(op.operation, status));
    expect(new Set(byStatus('500').map((body) => JSON.stringify(body)))).toEqual(
      new Set(['{"detail":"Internal server error"}']),
    );
    expect(new Set(byStatus('503').map((body) => JSON.stringify(body)))).toEqual(
      new Set(['{"detail":"Database unavailable"}']),
    );
    expectNoProblems(problems);
  });

  it('documents /health and /health_check with the contract bodies, open to all', () => {
    const health = document.paths['/health']?.get;
    const healthCheck = document.paths['/health_check']?.get;
    expect(health).toBeDefined();
    expect(healthCheck).toBeDefined();

    expect(responseExamples(health, '200')).toEqual([{ status: 'ok' }]);
    expect(responseExamples(healthCheck, '200')).toEqual([{ status: 'ok', db: 'ok' }]);
    expect(responseExamples(healthCheck, '503')).toEqual([{ status: 'error', db: 'error' }]);
    // The body parser's answers are their only 4xx (no key, so no 403 or 429).
    for (const probe of [health, healthCheck]) {
      expect(Object.keys(probe!.responses).filter((status) => status.startsWith('4'))).toEqual([
        '413',
        '422',
      ]);
      expect(responseExamples(probe, '422')).toEqual([
        {
          detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null }],
        },
      ]);
    }
  });

  it('answers the 4xx it documents for a health probe, and 405 with Allow for a method a path does not list', async () => {
    // fetch() refuses a GET with a body; a client that sends one anyway gets the documented 422.
    const probe = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        `${testApp.api.baseUrl}/health`,
        {
          method: 'GET',
          headers: { 'content-type': 'application/json', 'content-length': '9' },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on('error', reject);
      request.end('{not json');
    });
    expect(probe.status).toBe(422);
    expect(JSON.parse(probe.body)).toEqual(
      responseExamples(document.paths['/health']?.get, '422')[0],
    );

    expect(document.info.description).toContain('`405 Method Not Allowed`');
    const wrongMethod = await testApp.api.request('DELETE', '/health_check');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(Object.keys(document.paths['/health_check'] ?? {})).not.toContain('delete');
  });

  it('gives every operation a unique id, named after what it does', () => {
    const ids = operations().map((op) => op.operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths[RENAME_PATH]?.patch?.operationId).toBe('updateSessionId');
  });

  it('documents the rename as the contract says', () => {
    const rename = document.paths[RENAME_PATH]?.patch;
    expect(rename).toBeDefined();
    expect(rename!.summary).toBe('Update Session Id');
    expect(rename!.requestBody).toBeUndefined();

    const parameters = rename!.parameters!.map((parameter) => resolve<ParameterObject>(parameter));
    expect(parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'session_id', in: 'path', required: true }),
        expect.objectContaining({ name: 'new_session_id', in: 'query', required: true }),
        expect.objectContaining({ name: 'on_conflict', in: 'query', required: false }),
      ]),
    );
    expect(parameters).toHaveLength(3);
    expect(
      resolve<SchemaObject>(parameters.find((p) => p.name === 'on_conflict')!.schema!),
    ).toMatchObject({ enum: ['merge', 'reject'] });
    for (const parameter of parameters.filter((p) => p.name !== 'on_conflict')) {
      expect(resolve<SchemaObject>(parameter.schema!)).toMatchObject({
        type: 'string',
        minLength: 1,
        maxLength: 255,
      });
    }

    // One path for the rename and the session delete (OAS forbids two differing only in a
    // parameter's name); the rename's parameter keeps Langflow's name in its description.
    expect(document.paths[RENAME_PATH]?.delete?.operationId).toBe('deleteSession');
    expect(Object.keys(document.paths).filter((key) => key.includes('/session/{'))).toEqual([
      RENAME_PATH,
    ]);
    expect(parameters.find((p) => p.in === 'path')!.description).toContain('`old_session_id`');

    const ok = jsonContent(resolve<ResponseObject>(rename!.responses['200'] as ResponseObject));
    expect(ok?.schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/MessageResponseDto' },
    });
    expect(responseExamples(rename, '422')).toContainEqual({
      detail: [
        { type: 'missing', loc: ['query', 'new_session_id'], msg: 'Field required', input: null },
      ],
    });
  });

  it("lists the contract's 12 MessageResponse fields, in order, all required", () => {
    const schema = resolve<SchemaObject>({ $ref: '#/components/schemas/MessageResponseDto' });

    expect(Object.keys(schema.properties ?? {})).toEqual(MESSAGE_FIELDS);
    expect([...(schema.required ?? [])].sort()).toEqual([...MESSAGE_FIELDS].sort());
    const property = (name: string) => resolve<SchemaObject>(schema.properties![name]);
    expect(property('id')).toMatchObject({ type: 'string', format: 'uuid' });
    expect(property('flow_id')).toMatchObject({ type: 'string', format: 'uuid', nullable: true });
    expect(property('timestamp')).toMatchObject({ type: 'string', format: 'date-time' });
    expect(property('files')).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(property('edit')).toMatchObject({ type: 'boolean' });
    expect(property('properties')).toMatchObject({ type: 'object' });
    expect(property('content_blocks')).toMatchObject({ type: 'array', items: { type: 'object' } });
  });

  it('gives every property of every schema an example, a description or a documented type', () => {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(document.components?.schemas ?? {})) {
      const schema = resolve<SchemaObject>(value);
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        const described =
          '$ref' in property ||
          property.example !== undefined ||
          !!property.description?.trim() ||
          (property.type === 'array' && property.items !== undefined && '$ref' in property.items);
        if (!described) {
          problems.push(`${name}.${key} has neither an example nor a description`);
        }
      }
    }
    expectNoProblems(problems);
  });

  it('serves Swagger UI at /docs, open to all', async () => {
    const response = await testApp.api.get('/docs');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.text).toContain('swagger-ui');
    expect(response.text).toContain('monitor-service API');
  });
});
