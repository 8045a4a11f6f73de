import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MsWebhook, normalizeMessengerEntry } from './facebook-messenger/facebook-messenger.normalizer';
import { INSTAGRAM } from './instagram/instagram.adapter';
import type { InboundResult } from './normalized';
import { TELEGRAM } from './telegram/telegram.client';
import { normalizeTelegramUpdate, TgUpdate } from './telegram/telegram.normalizer';
import {
  normalizeWhatsAppChange,
  normalizeWhatsAppEntry,
  WaChange,
  WaWebhook,
} from './whatsapp-official/whatsapp-official.normalizer';

const FIXTURES = join(__dirname, '../../../test/fixtures');

/** Every .json file below `dir`, parsed. */
function jsonFiles(dir: string): { name: string; body: unknown }[] {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return jsonFiles(path).map((x) => ({ ...x, name: `${f}/${x.name}` }));
    return f.endsWith('.json') ? [{ name: f, body: JSON.parse(readFileSync(path, 'utf8')) }] : [];
  });
}

const waBodies = jsonFiles(join(FIXTURES, 'whatsapp-cloud')).flatMap(({ name, body }) =>
  name.startsWith('restfb/')
    ? [{ name, body: body as WaWebhook }]
    : Object.entries(body as Record<string, WaWebhook>).map(([k, v]) => ({ name: `${name}#${k}`, body: v })),
);
const skipReasons = (results: InboundResult[]) =>
  results.flatMap((r) => (r.kind === 'skip' ? [r.reason] : []));
const malformed = (results: InboundResult[]) =>
  skipReasons(results).filter((r) => r.startsWith('malformed_payload'));

describe('provider payload shapes', () => {
  it('every real WhatsApp Cloud, Messenger, Instagram and Telegram fixture fits its schema', () => {
    const found: string[] = [];
    for (const { name, body } of waBodies) {
      const items = (body.entry ?? []).flatMap((e) => normalizeWhatsAppEntry(e));
      found.push(...malformed(items.map((i) => i.result)).map((r) => `whatsapp ${name}: ${r}`));
    }
    // fixtures are kept by provider key, Messenger's as `messenger`
    for (const provider of ['messenger', INSTAGRAM]) {
      for (const { name, body } of jsonFiles(join(FIXTURES, provider))) {
        const items = ((body as MsWebhook).entry ?? []).flatMap((e) => normalizeMessengerEntry(e));
        found.push(...malformed(items.map((i) => i.result)).map((r) => `${provider} ${name}: ${r}`));
      }
    }
    const telegram = jsonFiles(join(FIXTURES, TELEGRAM));
    for (const { name, body: raw } of telegram) {
      // some fixtures are a bare Message (what an Update's `message` holds)
      const body = 'update_id' in (raw as object) ? raw : { update_id: 1, message: raw };
      found.push(
        ...malformed([normalizeTelegramUpdate(body as TgUpdate)]).map((r) => `telegram ${name}: ${r}`),
      );
    }
    expect(found).toEqual([]);
    expect(waBodies.length).toBeGreaterThan(100);
    expect(telegram.length).toBeGreaterThan(100);
  });

  describe('WhatsApp Cloud', () => {
    const change = (value: Record<string, unknown>): WaChange =>
      ({ field: 'messages', value: { messaging_product: 'whatsapp', ...value } }) as WaChange;

    it.each([
      [{ statuses: 12345 }, '/value/statuses must be array'],
      [{ messages: 'garbage' }, '/value/messages must be array'],
      [{ messages: [null] }, '/value/messages/0 must be object'],
      [{ statuses: [{ id: 'x'.repeat(300), status: 'read' }] }, '/value/statuses/0/id'],
      [{ contacts: { wa_id: '1' } }, '/value/contacts must be array'],
    ])('%j is one malformed_payload skip archived as received', (value, where) => {
      const c = change(value);
      const items = normalizeWhatsAppChange(c);
      expect(items).toHaveLength(1);
      expect(items[0].result).toEqual({ kind: 'skip', reason: expect.stringContaining(where) });
      expect((items[0].result as { reason: string }).reason).toMatch(/^malformed_payload:\//);
      expect(items[0].payload).toEqual(c);
      expect(items[0].providerEventId).toMatch(/^malformed:[0-9a-f]{32}$/);
    });

    it('a timestamp that is no date (placeholder, 1e20) is read as now, not as an invalid date', () => {
      for (const timestamp of ['TIMESTAMP', '1e20']) {
        const [item] = normalizeWhatsAppChange(
          change({ messages: [{ id: 'wamid.1', from: '1', type: 'text', timestamp, text: { body: 'x' } }] }),
        );
        expect(item.result.kind).toBe('message');
        const at = item.result.kind === 'message' ? item.result.message.timestamp.getTime() : NaN;
        expect(Math.abs(at - Date.now())).toBeLessThan(5000);
      }
    });

    it('an entry that is not an object with changes[] is one skip; its good siblings are kept', () => {
      expect(normalizeWhatsAppEntry('x').map((i) => i.result)).toEqual([
        { kind: 'skip', reason: 'malformed_payload:/ must be object' },
      ]);
      expect(normalizeWhatsAppEntry({ id: '1', changes: 5 })[0].result).toMatchObject({
        reason: 'malformed_payload:/changes must be array',
      });
      const mixed = normalizeWhatsAppEntry({
        id: '1',
        changes: [change({ statuses: 1 }), waBodies[0].body.entry![0].changes![0]],
      });
      expect(mixed[0].result).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/^malformed/) });
      expect(
        mixed.slice(1).every((i) => !skipReasons([i.result]).some((r) => r.startsWith('malformed'))),
      ).toBe(true);
    });
  });

  describe('Messenger / Instagram', () => {
    it.each([
      [{ id: 'P', messaging: 'garbage' }, '/messaging must be array'],
      [
        { id: 'P', messaging: [{ sender: { id: 'U' }, delivery: { watermark: 'abc' } }] },
        '/delivery/watermark',
      ],
      [
        { id: 'P', messaging: [{ sender: { id: 'U' }, timestamp: 1e20, message: { mid: 'm', text: 'x' } }] },
        '/timestamp',
      ],
      [
        { id: 'P', messaging: [{ sender: { id: 'U' }, message: { mid: 'm', attachments: {} } }] },
        '/message/attachments',
      ],
      [{ id: 'P', messaging: [7] }, 'malformed_payload:/ must be object'],
    ])('%j → one malformed_payload skip', (entry, where) => {
      const items = normalizeMessengerEntry(entry as never);
      expect(items).toHaveLength(1);
      expect(items[0].result).toEqual({ kind: 'skip', reason: expect.stringContaining(where) });
    });
  });

  describe('Telegram', () => {
    it.each([
      [{ message: { text: 'no update_id' } }, "/ must have required property 'update_id'"],
      [
        { update_id: 1, message: { message_id: 1, date: 1, text: 'x' } },
        "/message must have required property 'chat'",
      ],
      [
        { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, photo: 'x' } },
        '/message/photo',
      ],
      [
        { update_id: 1, message: { message_id: 1, date: 1e20, chat: { id: 1, type: 'private' } } },
        '/message/date',
      ],
      [
        {
          update_id: 1,
          message_reaction: { chat: { id: 1, type: 'private' }, message_id: 1, date: 1, new_reaction: 5 },
        },
        '/new_reaction',
      ],
    ])('%j → malformed_payload skip', (update, why) => {
      expect(normalizeTelegramUpdate(update as never)).toEqual({
        kind: 'skip',
        reason: expect.stringContaining(why),
      });
    });
  });
});
