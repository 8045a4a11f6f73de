import type { ValidationError as ClassValidatorError } from 'class-validator';
import { FieldError, ValidationError } from './app-error';

/** class-validator errors → `[{field, message}]` with dotted paths (nested objects included). */
export function flattenValidationErrors(errors: ClassValidatorError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** ValidationPipe → problem+json 400 listing every field and why (`errors: [{field, message}]`). */
export function validationExceptionFactory(errors: ClassValidatorError[]): ValidationError {
  const list = flattenValidationErrors(errors);
  const summary = list
    .slice(0, 5)
    .map((e) => e.message)
    .join('; ');
  return new ValidationError(`Request validation failed: ${summary}`, list);
}
