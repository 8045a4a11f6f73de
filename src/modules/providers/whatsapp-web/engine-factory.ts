import type { Provider } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { BaileysEngine } from './baileys.engine';
import { WHATSAPP_WEB_ENGINE_FACTORY, type WhatsAppWebEngineFactory } from './engine';
import { FakeEngine } from './fake.engine';

/** WHATSAPP_WEB_ENGINE: `baileys` (default) or `fake` (tests, sandbox). */
export const WHATSAPP_WEB_ENGINE_PROVIDER: Provider = {
  provide: WHATSAPP_WEB_ENGINE_FACTORY,
  inject: [AppConfig],
  useFactory: (config: AppConfig): WhatsAppWebEngineFactory =>
    config.whatsappWeb.engine === 'fake' ? (id) => new FakeEngine(id) : (id) => new BaileysEngine(id),
};
