import type { Provider } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { BaileysEngine } from './baileys.engine';
import { WHATSAPP_WEB_ENGINE_FACTORY, type WhatsAppWebEngineFactory } from './engine';
import { FakeEngine, fakeWhatsAppWeb } from './fake.engine';

/**
 * WHATSAPP_WEB_ENGINE: `baileys` (default) or `fake`. Outside tests (`npm run sandbox`), the fake's
 * QR "scans itself" after 5 s and its phone answers every text with `echo: <text>`; tests script it.
 */
export const WHATSAPP_WEB_ENGINE_PROVIDER: Provider = {
  provide: WHATSAPP_WEB_ENGINE_FACTORY,
  inject: [AppConfig],
  useFactory: (config: AppConfig): WhatsAppWebEngineFactory => {
    if (config.whatsappWeb.engine !== 'fake') return (id) => new BaileysEngine(id);
    if (config.nodeEnv !== 'test') {
      fakeWhatsAppWeb.autoScan = {
        afterMs: 5000,
        account: { jid: '15550009999@s.whatsapp.net', lid: '900000000000001@lid', name: 'Sandbox Phone' },
      };
      fakeWhatsAppWeb.autoReply = true;
    }
    return (id) => new FakeEngine(id);
  },
};
