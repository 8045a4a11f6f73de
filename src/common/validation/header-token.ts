import { Matches } from 'class-validator';

/**
 * A credential sent in an HTTP header (`Authorization: Bearer <token>`): visible ASCII only
 * (RFC 9110 field values; undici refuses anything else before the provider is even asked).
 * A token pasted with `…` or a space is a 400 naming the field, not a 502 from the provider call.
 */
export const IsHeaderToken = () =>
  Matches(/^[\x21-\x7E]+$/, {
    message: ({ property }) =>
      `${property} must be visible ASCII without spaces (it is sent in the Authorization header)`,
  });
