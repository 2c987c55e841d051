import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SchemaObject, SwaggerModule } from '@nestjs/swagger';

import { API_KEY_HEADER } from '../auth/api-key.guard';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('monitor-service')
    .setDescription(
      "Stores the messages of LLM-app conversations and manages their sessions, compatible with Langflow's Monitor API. " +
        'Authenticate with an API key: click "Authorize" and paste it.\n\n' +
        'A method that a path does not list here answers `405 Method Not Allowed`, with an `Allow` ' +
        'header naming the methods it has; `OPTIONS` too, unless CORS_ORIGINS is set (then every ' +
        '`OPTIONS` is a CORS preflight, answered 204). An unknown path answers 404. Every route that ' +
        'needs a key can answer 429 (throttling, see each operation); the health probes cannot.',
    )
    .setVersion('0.1.0')
    .setLicense(
      'UNLICENSED: all rights reserved',
      'https://docs.npmjs.com/cli/configuring-npm/package-json#license',
    )
    // Relative: the document is right wherever the service is reached (behind a proxy too).
    .addServer('/', 'This service')
    .addTag('Monitor', 'Messages and their sessions.')
    .addTag('Traces', 'Flow runs as trees of spans, as Langflow 1.8+ serves them.')
    .addTag('API keys', "The caller's own API keys.")
    .addTag('Health', 'Liveness and readiness probes; open, no API key needed.')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: API_KEY_HEADER,
        // The service also takes ?x-api-key= and Authorization: Bearer; one scheme keeps the
        // Authorize dialog to a single field.
        description:
          'Your API key (`sk-…`), sent as the `x-api-key` header. The service also accepts it as the ' +
          '`x-api-key` query parameter or as `Authorization: Bearer <key>`.',
      },
      'api_key',
    )
    .build();
  // Operation ids are the handlers' names (unique across controllers): clients generated from the
  // document keep their method names when a route moves to another controller.
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  markOpenOperations(document);
  anyTypedValidationInput(document);
  oneSessionPath(document);
  return document;
}

const SESSION_PATH = '/api/v1/monitor/messages/session/{session_id}';
const RENAME_PATH = '/api/v1/monitor/messages/session/{old_session_id}';

/**
 * The rename names the session in its path `old_session_id` (Langflow's name, which its 422s use
 * in `loc`) and the session delete names it `session_id`. OAS forbids two paths that differ only in
 * a parameter's name, so the document lists both operations under `{session_id}`; nothing changes
 * on the wire, where a path parameter has no name.
 */
function oneSessionPath(document: OpenAPIObject): void {
  const rename = document.paths[RENAME_PATH];
  const session = document.paths[SESSION_PATH];
  if (!rename || !session) {
    return;
  }
  for (const method of METHODS) {
    const operation = rename[method];
    if (!operation) {
      continue;
    }
    for (const parameter of operation.parameters ?? []) {
      if ('in' in parameter && parameter.in === 'path' && parameter.name === 'old_session_id') {
        parameter.name = 'session_id';
        parameter.description =
          `${parameter.description ?? ''}\n\nLangflow calls this parameter \`old_session_id\`, and ` +
          'so do the validation errors of this route (`"loc": ["path", "old_session_id"]`).';
      }
    }
    session[method] = operation;
  }
  delete document.paths[RENAME_PATH];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** An operation that needs no key says so (`security: []`) rather than saying nothing. */
function markOpenOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation && operation.security === undefined) {
        operation.security = [];
      }
    }
  }
}

/**
 * The value a 422 refused can be anything JSON (a string, a number, an object, null): an empty
 * schema says so, where the DTO's `unknown` would come out as `type: object`.
 */
function anyTypedValidationInput(document: OpenAPIObject): void {
  const issue = document.components?.schemas?.ValidationIssueDto as SchemaObject | undefined;
  const input = issue?.properties?.input as SchemaObject | undefined;
  if (input) {
    issue!.properties!.input = { description: input.description, example: null };
  }
}

/** Swagger UI at /docs and the OpenAPI document at /openapi.json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'monitor-service API',
    swaggerOptions: { persistAuthorization: true, tryItOutEnabled: false },
  });
}
