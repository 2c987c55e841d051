import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorDto } from './error.dto';
import { ValidationErrorDto } from './validation-error.dto';

type Examples = Record<string, { summary: string; value: unknown }>;

function detail(summary: string, text: string): Examples {
  return { [summary.replace(/\W+/g, '_')]: { summary, value: { detail: text } } };
}

const AUTH_EXAMPLES: Examples = {
  ...detail('No API key', 'An API key must be passed as query or header'),
  ...detail('Unknown or revoked key', 'Invalid or missing API key'),
};

const THROTTLE_EXAMPLES: Examples = {
  ...detail('Failed authentications', 'Too many failed authentications: try again in 42 seconds'),
  ...detail('Rate limit', 'Rate limit exceeded: try again in 17 seconds'),
};

/**
 * Documents a route's error answers. 403 (authentication), 429 (throttling), 500 and 503 apply to
 * every protected route and are always listed; the others are given per route as examples of
 * their bodies.
 */
export function ApiErrors(options: {
  notFound?: string;
  conflict?: string;
  validation?: Examples;
  extra?: { status: number; description: string; detail: string }[];
}): MethodDecorator & ClassDecorator {
  const decorators = [
    ApiResponse({
      status: 403,
      description: 'No API key, or an unknown, revoked or inactive one.',
      type: ErrorDto,
      examples: AUTH_EXAMPLES,
    }),
    ApiResponse({
      status: 429,
      description:
        'Too many failed authentications from this address (AUTH_FAILURES_PER_MINUTE), or too ' +
        'many requests with this key (RATE_LIMIT_PER_MINUTE, when set). Retry after the time given.',
      type: ErrorDto,
      examples: THROTTLE_EXAMPLES,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before trying again.',
          schema: { type: 'integer', example: 42 },
        },
      },
    }),
    ApiResponse({
      status: 500,
      description: 'An unexpected failure; details are only in the service log.',
      type: ErrorDto,
      example: { detail: 'Internal server error' },
    }),
    ApiResponse({
      status: 503,
      description: 'The database cannot be reached; retry later.',
      type: ErrorDto,
      example: { detail: 'Database unavailable' },
    }),
  ];
  if (options.notFound) {
    decorators.push(
      ApiResponse({
        status: 404,
        description: 'Not found, or not yours (the two are indistinguishable).',
        type: ErrorDto,
        example: { detail: options.notFound },
      }),
    );
  }
  if (options.conflict) {
    decorators.push(
      ApiResponse({
        status: 409,
        description: 'Conflict.',
        type: ErrorDto,
        example: { detail: options.conflict },
      }),
    );
  }
  if (options.validation) {
    decorators.push(
      ApiResponse({
        status: 422,
        description: 'Validation error (FastAPI shape).',
        type: ValidationErrorDto,
        examples: options.validation,
      }),
    );
  }
  for (const extra of options.extra ?? []) {
    decorators.push(
      ApiResponse({
        status: extra.status,
        description: extra.description,
        type: ErrorDto,
        example: { detail: extra.detail },
      }),
    );
  }
  return applyDecorators(...decorators);
}

/** The 413 of every route with a JSON body (the body parser's limit). */
export const BODY_TOO_LARGE_ERROR = {
  status: 413,
  description: 'The body is over 10 MiB.',
  detail: 'Request body too large: the limit is 10 MiB',
};

/**
 * The 413 and 422 of a route that takes no body: the JSON body parser runs before every route, so
 * even a health probe sent with a body answers them when the body is over the limit or is not
 * JSON. Open routes only: on the others ApiErrors and the route's own 422 say more.
 */
export function ApiBodyParserErrors(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status: 413,
      description: `${BODY_TOO_LARGE_ERROR.description} (The route takes no body.)`,
      type: ErrorDto,
      example: { detail: BODY_TOO_LARGE_ERROR.detail },
    }),
    ApiResponse({
      status: 422,
      description: 'A body sent with `Content-Type: application/json` that is not JSON.',
      type: ValidationErrorDto,
      example: {
        detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null }],
      },
    }),
  );
}

/** One 422 example: a single issue. */
export function issueExample(
  summary: string,
  issue: { type: string; loc: (string | number)[]; msg: string; input: unknown },
): Examples {
  return { [summary.replace(/\W+/g, '_')]: { summary, value: { detail: [issue] } } };
}

/** A 422 example for a malformed UUID at `loc`. */
export function malformedUuidExample(
  summary: string,
  loc: (string | number)[],
  input = 'not-a-uuid',
): Examples {
  return issueExample(summary, {
    type: 'uuid_parsing',
    loc,
    msg: 'Input should be a valid UUID, invalid length or characters',
    input,
  });
}

/** A 422 example for an empty JSON array body. */
export function emptyListExample(): Examples {
  return issueExample('Empty list', {
    type: 'too_short',
    loc: ['body'],
    msg: 'List should have at least 1 item after validation, not 0',
    input: [],
  });
}

/** A 422 example for a body field the route does not know. */
export function unknownFieldExample(loc: (string | number)[]): Examples {
  return issueExample('Unknown field', {
    type: 'extra_forbidden',
    loc,
    msg: 'Extra inputs are not permitted',
    input: 'blue',
  });
}
