import { Inject, Injectable } from '@nestjs/common';
import { ValidationError } from '../../common/errors/app-error';
import { configSchema } from './config-schema';
import { PROVIDER_ADAPTERS, ProviderAdapter } from './provider-adapter';
import type { ProviderDescriptionDto } from './providers.dto';

/** Resolves adapters by provider key. */
@Injectable()
export class ProviderRegistry {
  private readonly byKey: Map<string, ProviderAdapter>;

  constructor(@Inject(PROVIDER_ADAPTERS) adapters: ProviderAdapter[]) {
    this.byKey = new Map(adapters.map((a) => [a.key, a]));
  }

  /** Every adapter, in the order of PROVIDER_ADAPTER_CLASSES. */
  get adapters(): ProviderAdapter[] {
    return [...this.byKey.values()];
  }

  /** The adapter of `key`, or undefined (an instance of a provider no longer installed). */
  find(key: string): ProviderAdapter | undefined {
    return this.byKey.get(key);
  }

  /** Display name of a provider key (the adapter's `label`); the key itself when none. */
  label(key: string): string {
    return this.byKey.get(key)?.label ?? key;
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

  /** Every provider with its capabilities and the JSON Schema of its `config` (GET /api/providers). */
  describe(): ProviderDescriptionDto[] {
    return [...this.byKey.values()].map((a) => ({
      provider: a.key,
      capabilities: a.capabilities,
      configSchema: configSchema(a.configDto) as Record<string, unknown>,
    }));
  }
}
