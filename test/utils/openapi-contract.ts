import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** One HTTP exchange as the server answered it. */
export interface Exchange {
  method: string;
  /** Request path with its query string (`req.originalUrl`). */
  url: string;
  status: number;
  /** The response's Content-Type header, if any. */
  contentType?: string;
  body: Buffer;
  /** True when the body was cut short (a stream still open, or larger than the recorder keeps). */
  truncated?: boolean;
}

type Json = Record<string, any>;

/** Routes the document deliberately leaves out: Swagger UI and the document itself. */
/** Swagger UI itself and the dashboard's static files (a web page, not API operations). */
const UNDOCUMENTED = /^\/(api\/docs(-json|-yaml|\/.*)?|dashboard(\/.*)?)$/;

const JSON_MEDIA = /^application\/(.+\+)?json$/;

/**
 * Checks real responses against a published OpenAPI 3.1 document: the path and method must be an
 * operation, the status one of its documented responses (no `default` catch-all in our documents,
 * so an undocumented status is a violation), the Content-Type one of that response's media types,
 * and a JSON body must satisfy the media type's schema. Objects in the document are checked
 * closed (`additionalProperties: false` unless the schema says otherwise), so a field the API
 * returns but the document does not name is a violation too. Bodies of text/event-stream and
 * binary media types are not parsed; text/plain bodies are checked as strings.
 */
export class OpenApiContract {
  private readonly ajv: Ajv2020;
  private readonly routes: { method: string; template: string; regex: RegExp; params: number }[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema(closeObjects(structuredClone(document)) as Json, 'openapi');
    for (const [template, item] of Object.entries<Json>(document.paths ?? {})) {
      const pattern = template
        .split('/')
        .map((seg) => (/^\{[^}]+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      for (const method of Object.keys(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) continue;
        this.routes.push({
          method,
          template,
          regex: new RegExp(`^${pattern}$`),
          params: (template.match(/\{/g) ?? []).length,
        });
      }
    }
    // literal segments win over parameters (`/messages/upload` before `/messages/{messageId}`)
    this.routes.sort((a, b) => a.params - b.params);
  }

  /** The operation template matching a request, or undefined. */
  route(method: string, url: string): string | undefined {
    const path = decodeURIComponent(url.split('?')[0]);
    return this.routes.find((r) => r.method === method.toLowerCase() && r.regex.test(path))?.template;
  }

  /** Every way the exchange departs from the document (empty when it conforms). */
  check(x: Exchange): string[] {
    const path = x.url.split('?')[0];
    if (UNDOCUMENTED.test(path)) return [];
    const what = `${x.method} ${x.url} → ${x.status}`;
    const method = x.method.toLowerCase();
    const template = this.route(method, x.url);
    if (!template) return [`${what}: no such operation in the document`];
    const responses: Json = this.document.paths[template][method].responses ?? {};
    const statusKey = [String(x.status), `${String(x.status)[0]}XX`].find((k) => k in responses);
    if (!statusKey) {
      return [
        `${what}: status ${x.status} is not documented for ${method.toUpperCase()} ${template} (documented: ${Object.keys(responses).join(', ')})`,
      ];
    }
    const content: Json | undefined = responses[statusKey].content;
    const mediaType = x.contentType?.split(';')[0].trim().toLowerCase();
    if (!content) {
      return x.body.length ? [`${what}: a body was sent but the response documents none`] : [];
    }
    const documented = Object.keys(content);
    const key =
      documented.find((k) => k === mediaType) ?? documented.find((k) => matchesWildcard(k, mediaType));
    if (!key) {
      return [`${what}: Content-Type ${x.contentType ?? '(none)'} is not one of ${documented.join(', ')}`];
    }
    if (!content[key].schema || x.truncated) return [];
    let value: unknown;
    if (JSON_MEDIA.test(key)) {
      try {
        value = JSON.parse(x.body.toString('utf8'));
      } catch {
        return [`${what}: the body is not JSON`];
      }
    } else if (key.startsWith('text/plain')) {
      value = x.body.toString('utf8');
    } else {
      return [];
    }
    const pointer = ['paths', template, method, 'responses', statusKey, 'content', key, 'schema']
      .map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const validate = this.validator(`openapi#/${pointer}`);
    if (validate(value)) return [];
    return [
      `${what}: the body does not match ${method.toUpperCase()} ${template} ${statusKey} ${key}: ${describe(
        validate,
      )}; body: ${x.body.toString('utf8').slice(0, 500)}`,
    ];
  }

  /** How a webhook body (an event envelope) departs from the document's `webhooks` entry for its event. */
  checkWebhook(body: unknown): string[] {
    const event = (body as Json | null)?.event;
    if (typeof event !== 'string' || !this.document.webhooks?.[event]) {
      return [`webhook body: event ${String(event)} is not in the document's webhooks`];
    }
    const validate = this.validator(
      `openapi#/webhooks/${event}/post/requestBody/content/application~1json/schema`,
    );
    if (validate(body)) return [];
    return [
      `webhook ${event}: the body does not match: ${describe(validate)}; body: ${JSON.stringify(body).slice(0, 500)}`,
    ];
  }

  private validator(ref: string): ValidateFunction {
    let v = this.validators.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, v);
    }
    return v;
  }
}

/** Ajv's errors, naming the offending property of `additionalProperties` failures. */
function describe(validate: ValidateFunction): string {
  return [
    ...new Set(
      (validate.errors ?? []).map((e) => {
        const extra = (e.params as { additionalProperty?: string }).additionalProperty;
        return `${e.instancePath || 'data'} ${e.message}${extra ? ` (${extra})` : ''}`;
      }),
    ),
  ].join('; ');
}

function matchesWildcard(documented: string, actual: string | undefined): boolean {
  if (!actual) return false;
  if (documented === '*/*') return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
}

/**
 * Every object schema that lists its properties and says nothing of others gets
 * `additionalProperties: false`: an undocumented field in a response is a contract violation.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) {
    node.forEach(closeObjects);
  } else if (node && typeof node === 'object') {
    const o = node as Json;
    const isObject = o.type === 'object' || (Array.isArray(o.type) && o.type.includes('object'));
    if (isObject && o.properties && typeof o.properties === 'object' && !('additionalProperties' in o)) {
      o.additionalProperties = false;
    }
    Object.values(o).forEach(closeObjects);
  }
  return node;
}
