import { Inject, Injectable } from '@nestjs/common';
import { ValidationError } from '../../common/errors/app-error';
import { PROVIDER_ADAPTERS, ProviderAdapter } from './provider-adapter';

/** Resolves adapters by provider key. */
@Injectable()
export class ProviderRegistry {
  private readonly byKey: Map<string, ProviderAdapter>;

  constructor(@Inject(PROVIDER_ADAPTERS) adapters: ProviderAdapter[]) {
    this.byKey = new Map(adapters.map((a) => [a.key, a]));
  }

  get keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** @throws ValidationError (400) naming the supported providers. */
  get(key: string): ProviderAdapter {
    const adapter = this.byKey.get(key);
    if (!adapter) {
      throw new ValidationError(`Unknown provider "${key}"; supported: ${this.keys.join(', ')}`, [
        { field: 'provider', message: `must be one of: ${this.keys.join(', ')}` },
      ]);
    }
    return adapter;
  }
}
