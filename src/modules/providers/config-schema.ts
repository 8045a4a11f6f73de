import { targetConstructorToSchema, JSONSchema } from 'class-validator-jsonschema';

type SchemaObject = ReturnType<typeof targetConstructorToSchema>;

/**
 * Marks a provider config field as a secret in its JSON Schema (`writeOnly`, `format: password`):
 * forms show it as a password field, and the API never returns it (describeConfig masks it).
 */
export const SecretField = () => JSONSchema({ writeOnly: true, format: 'password' });

/**
 * JSON Schema (OpenAPI 3 dialect) of a provider's `config` DTO, from its class-validator
 * decorators: types, `required`, `pattern`, `enum`, `maxLength`, and `writeOnly` secrets.
 */
export function configSchema(dto: new () => object): SchemaObject {
  return targetConstructorToSchema(dto);
}
