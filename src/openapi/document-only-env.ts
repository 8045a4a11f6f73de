/**
 * Throwaway values for the settings the configuration requires, imported before the app's modules
 * (they validate the environment when loaded): writing the OpenAPI document connects to nothing.
 */
process.env.JWT_SECRET ??= 'openapi-document-only-0123456789abcdef';
process.env.ENCRYPTION_KEY ??= Buffer.alloc(32).toString('base64');
process.env.DATABASE_URL ??= 'postgres://127.0.0.1:1/none';
process.env.SWAGGER_ENABLED = 'true';
