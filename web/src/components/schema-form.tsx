/** One input generated from a property of a provider's config JSON Schema (GET /api/providers). */
export interface SchemaField {
  name: string;
  label: string;
  required: boolean;
  /** `writeOnly` / `format: password`: a password input, never filled back. */
  secret: boolean;
  options?: string[];
  pattern?: string;
  maxLength?: number;
  description?: string;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** `webhookVerifyToken` → `Webhook verify token`; `igId` → `Ig id`. */
export function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Browsers compile `pattern` with the `v` flag, which refuses some class syntax that JSON Schema
 * patterns use (`[a-z_-]`): such a pattern is left to the server's check rather than logged as an error.
 */
function htmlPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'v');
    return true;
  } catch {
    return false;
  }
}

/** The form fields of a JSON Schema object, required ones first, in the schema's order. */
export function schemaFields(schema: Record<string, unknown>): SchemaField[] {
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const fields = Object.entries(obj(schema.properties)).map(([name, raw]): SchemaField => {
    const p = obj(raw);
    return {
      name,
      label: humanize(name),
      required: required.has(name),
      secret: p.writeOnly === true || p.format === 'password',
      options: Array.isArray(p.enum) ? p.enum.map(String) : undefined,
      pattern: typeof p.pattern === 'string' && htmlPattern(p.pattern) ? p.pattern : undefined,
      maxLength: typeof p.maxLength === 'number' ? p.maxLength : undefined,
      description: typeof p.description === 'string' ? p.description : undefined,
    };
  });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** The inputs of `fields`, controlled by `values`. */
export function SchemaInputs({
  fields,
  values,
  onChange,
  idPrefix,
}: {
  fields: SchemaField[];
  values: Record<string, string>;
  onChange: (name: string, value: string) => void;
  idPrefix: string;
}) {
  return (
    <>
      {fields.map((f) => {
        const id = `${idPrefix}-${f.name}`;
        const hint = [f.secret ? 'Secret: stored encrypted, never shown again' : null, f.description]
          .filter(Boolean)
          .join('. ');
        return (
          <div className="field" key={f.name}>
            <label htmlFor={id}>
              {f.label}
              {f.required ? ' *' : ' (optional)'}
            </label>
            {f.options ? (
              <select
                id={id}
                value={values[f.name] ?? ''}
                onChange={(e) => onChange(f.name, e.target.value)}
                required={f.required}
              >
                {!f.required && <option value="">(default)</option>}
                {f.options.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={f.name}
                type={f.secret ? 'password' : 'text'}
                autoComplete={f.secret ? 'new-password' : 'off'}
                spellCheck={false}
                required={f.required}
                pattern={f.pattern}
                maxLength={f.maxLength}
                value={values[f.name] ?? ''}
                onChange={(e) => onChange(f.name, e.target.value)}
                aria-describedby={hint ? `${id}-hint` : undefined}
              />
            )}
            {hint && (
              <small id={`${id}-hint`} className="muted">
                {hint}
              </small>
            )}
          </div>
        );
      })}
    </>
  );
}
