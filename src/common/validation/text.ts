/**
 * Characters PostgreSQL cannot store: NUL (U+0000) in `text` and `jsonb`, and UTF-16 surrogates
 * without their pair (`"\ud800"` in JSON), which jsonb refuses and UTF-8 cannot encode.
 */
const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Why `s` cannot be stored, or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.includes(NUL)) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain an unpaired UTF-16 surrogate (U+D800–U+DFFF)';
  return null;
}

/** JSON-like containers: arrays, object literals and null-prototype objects (Express's parsed query). */
const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Array.isArray(v);
};

/**
 * The first string (key or value) in `value` that cannot be stored, as `{field, message}` with a
 * dotted path below `prefix` (`contacts.0.name`), or null. Walks plain objects and arrays only.
 */
export function findUnstorableText(value: unknown, prefix = ''): { field: string; message: string } | null {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: prefix }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) return { field: path || '(value)', message: `${path || 'value'} ${reason}` };
    } else if (isPlain(v)) {
      for (const [k, child] of Object.entries(v)) {
        const childPath = path ? `${path}.${k}` : k;
        const reason = unstorableReason(k);
        if (reason) return { field: childPath, message: `the name of ${childPath} ${reason}` };
        stack.push({ v: child, path: childPath });
      }
    }
  }
  return null;
}

/** `s` with NUL and unpaired surrogates replaced by U+FFFD, as a decoder does with bytes it cannot read. */
export function toStorableString(s: string): string {
  return unstorableReason(s) ? s.replaceAll(NUL, '\uFFFD').replace(LONE_SURROGATES, '\uFFFD') : s;
}

/**
 * `value` with every unstorable string (keys included) made storable (toStorableString); the same
 * object when nothing needs replacing, so the common case allocates nothing. Dates and other
 * class instances are kept as they are.
 */
export function toStorableText<T>(value: T): T {
  if (findUnstorableText(value) === null) return value;
  return replaceDeep(value) as T;
}

function replaceDeep(v: unknown): unknown {
  if (typeof v === 'string') return toStorableString(v);
  if (Array.isArray(v)) return v.map(replaceDeep);
  if (isPlain(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, child]) => [toStorableString(k), replaceDeep(child)]),
    );
  }
  return v;
}
