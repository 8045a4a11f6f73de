import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

/** Media type of every error the API answers (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/**
 * The `ProblemDetails` component (RFC 9457) that every 4xx/5xx response of the document
 * references; what ProblemDetailsFilter writes. Extension members depend on `code`: provider
 * errors carry `provider`, `providerCode`, `providerDescription`; 429s carry `retryAfter` (s,
 * also in the `Retry-After` header).
 */
export const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'RFC 9457 problem details. `code` is stable and machine-readable; `detail` is for people. ' +
    'Further members depend on `code` (e.g. provider errors: `provider`, `providerCode`, `providerDescription`).',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://switchboard.dev/problems/validation_failed' },
    title: { type: 'string', description: 'The HTTP reason phrase', example: 'Bad Request' },
    status: { type: 'integer', minimum: 400, maximum: 599, example: 400 },
    detail: { type: 'string', example: 'Request validation failed: name must be a string' },
    code: {
      type: 'string',
      description:
        'e.g. `validation_failed`, `unauthorized`, `forbidden`, `not_found`, `rate_limited`, `limit_exceeded`, ' +
        '`provider_bad_request`, `provider_unauthorized`, `provider_unavailable`, `internal_error`',
      example: 'validation_failed',
    },
    errors: {
      type: 'array',
      description: 'Each invalid field (dotted path) and why',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', example: 'config.accessToken' },
          message: { type: 'string' },
        },
      },
    },
    requestId: { type: 'string', description: 'Also in the logs of this request' },
    provider: { type: 'string', description: 'Provider errors: which provider answered' },
    providerCode: {
      type: ['integer', 'string', 'null'],
      description: "Provider errors: the provider's own code (Telegram `error_code`, Graph `error.code`)",
    },
    providerDescription: {
      type: ['string', 'null'],
      description: "Provider errors: the provider's own message",
    },
    retryAfter: { type: 'integer', description: '429: seconds to wait (also `Retry-After`)' },
  },
  additionalProperties: true,
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed (`validation_failed`): `errors` names each field and why',
  401: 'Missing or invalid `Authorization: Bearer` token or `x-api-key` (`unauthorized`)',
  403: 'The caller may not do this (`forbidden`), e.g. not an admin',
  404: 'No such resource of the caller (`not_found`)',
  409: 'Conflicts with the current state',
  413: 'The body is larger than the limit (`payload_too_large`)',
  422: 'Well-formed but cannot be done; the `code` says why',
  429: 'Rate limit (`rate_limited`, per user or API key) or a daily instance limit (`limit_exceeded`); `Retry-After` in seconds',
  500: 'Unexpected error (`internal_error`); the body never echoes the request',
  502: 'The provider failed or rejected our credentials; `providerCode` and `providerDescription` are its own',
  503: 'A dependency is unavailable',
};

/** A problem+json response for `status`, described by `description` or the status's usual meaning. */
export function ApiProblemResponse(status: number, description?: string) {
  const text = description ?? DESCRIPTIONS[status];
  if (!text) throw new Error(`ApiProblemResponse: no description for status ${status}`);
  return ApiResponse({
    status,
    description: text,
    content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
  });
}

/**
 * Standard error responses, each `application/problem+json` referencing the one `ProblemDetails`
 * component: `@ApiProblemResponses(400, 404, [409, 'This bot is already connected'])`. On a
 * controller it applies to every route; a method's own entry for the same status wins.
 */
export function ApiProblemResponses(...entries: (number | [number, string])[]) {
  return applyDecorators(
    ...entries.map((e) => (Array.isArray(e) ? ApiProblemResponse(e[0], e[1]) : ApiProblemResponse(e))),
  );
}
