/** class-transformer helper: `a,b,c` query strings → `['a','b','c']`. */
export const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;
