import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth } from '../../common/auth/decorators';
import { ProviderRegistry } from './provider-registry';
import { ProviderListDto } from './providers.dto';

@ApiTags('providers')
@ApiAuth()
@Controller('api/providers')
export class ProvidersController {
  constructor(private readonly registry: ProviderRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'The providers instances can be created for: capabilities and the JSON Schema of their `config`',
    description:
      'Forms for `POST /api/instances` are generated from `configSchema` (the dashboard does this).',
  })
  @ApiOkResponse({ type: ProviderListDto })
  list(): ProviderListDto {
    return { providers: this.registry.describe() };
  }
}
