import { ArgumentMetadata, Injectable, PipeTransform, ValidationPipe } from '@nestjs/common';
import { ValidationError } from '../errors/app-error';
import { validationExceptionFactory } from '../errors/validation-exception.factory';
import { findUnstorableText } from './text';

/** Types ValidationPipe leaves alone: a body of one of these is not one of our DTOs. */
const NOT_A_DTO: unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];

/**
 * Runs before ValidationPipe on every path parameter, query and DTO body, and refuses (400
 * `validation_failed`, naming the field) what no DTO rule should have to repeat:
 * - a string with NUL (U+0000) or an unpaired UTF-16 surrogate (`"\ud800"`), which PostgreSQL
 *   cannot store or compare (`invalid byte sequence 0x00`, `invalid input syntax for type json`)
 *   and class-validator's string checks choke on (`URIError`);
 * - a query parameter given more than once (`?types=a&types=b`): every parameter is documented
 *   as one value (lists are comma-separated), so a repeat is ambiguous.
 * Bodies whose declared type is not a DTO class (the provider webhooks' raw payloads) pass
 * through: they are stored as received, made storable at ingest (ConversationsService).
 */
@Injectable()
export class RequestInputPipe implements PipeTransform {
  transform(value: unknown, { type, metatype, data }: ArgumentMetadata): unknown {
    if (type === 'custom' || (type === 'body' && (!metatype || NOT_A_DTO.includes(metatype)))) return value;
    if (type === 'query') {
      const repeated = data
        ? Array.isArray(value) && data
        : Object.entries((value ?? {}) as Record<string, unknown>).find(([, v]) => Array.isArray(v))?.[0];
      if (repeated) {
        throw new ValidationError(`Query parameter ${repeated} is given more than once`, [
          { field: repeated, message: `${repeated} must be given once (lists are comma-separated)` },
        ]);
      }
    }
    const bad = findUnstorableText(value, type === 'body' ? '' : (data ?? ''));
    if (bad) throw new ValidationError(`Request validation failed: ${bad.message}`, [bad]);
    return value;
  }
}

/**
 * The pipes every argument goes through, in order (bootstrap.ts registers them globally;
 * ValidQueryGuard runs them early for streaming routes): RequestInputPipe, then class-validator
 * with unknown properties refused and failures as problem+json `errors: [{field, message}]`.
 */
export function inputPipes(): PipeTransform[] {
  return [
    new RequestInputPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationExceptionFactory,
    }),
  ];
}
