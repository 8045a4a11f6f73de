import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsInt, Max, MaxDate, Min, MinDate } from 'class-validator';

/** class-transformer helper: `a,b,c` query strings → `['a','b','c']`. */
export const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;

/**
 * An integer query parameter in [min, max]. Only plain decimal digits (optionally `-`) become a
 * number; anything else (`1e3`, `0x10`, ` 5`, `1.0`, a repeated parameter) stays as given and
 * fails `IsInt`, so nothing a query string can spell reaches SQL outside the bounds
 * (`?skip=99999999999999999999` is a 400, not PostgreSQL's `bigint out of range`).
 * `max` must be at most Number.MAX_SAFE_INTEGER.
 */
export function QueryInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) =>
      typeof value === 'string' && /^-?\d{1,20}$/.test(value) ? Number(value) : value,
    ),
    IsInt(),
    Min(min),
    Max(max),
  );
}

const EARLIEST = new Date('0001-01-01T00:00:00.000Z');
const LATEST = new Date('9999-12-31T23:59:59.999Z');

/**
 * A date (ISO 8601) in a query or body, between 0001-01-01 and 9999-12-31 UTC. JavaScript
 * accepts dates PostgreSQL's timestamptz cannot hold (`-271821-04-20`), which would otherwise
 * reach SQL and fail there (`timestamp out of range`) instead of being a 400 naming the field.
 */
export function StorableDate(): PropertyDecorator {
  return applyDecorators(
    Type(() => Date),
    IsDate(),
    MinDate(EARLIEST, { message: ({ property }) => `${property} must not be before 0001-01-01` }),
    MaxDate(LATEST, { message: ({ property }) => `${property} must not be after 9999-12-31` }),
  );
}
