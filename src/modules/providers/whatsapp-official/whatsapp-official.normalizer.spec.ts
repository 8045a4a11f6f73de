import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundMessage, InboundResult, InboundStatus } from '../normalized';
import { normalizeWhatsAppChange, WaInboundItem, WaWebhook } from './whatsapp-official.normalizer';

const FIXTURES = join(__dirname, '../../../../test/fixtures/whatsapp-cloud');

const load = (file: string): unknown => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
/** pywa files map a variant name to a full webhook body; restfb files are one body each. */
const variants = (file: string): Record<string, WaWebhook> => load(file) as Record<string, WaWebhook>;

function items(body: WaWebhook): WaInboundItem[] {
  return (body.entry ?? []).flatMap((e) => (e.changes ?? []).flatMap((c) => normalizeWhatsAppChange(c)));
}
function one(body: WaWebhook): InboundResult {
  const all = items(body);
  expect(all).toHaveLength(1);
  return all[0].result;
}
function msg(body: WaWebhook): InboundMessage {
  const r = one(body);
  if (r.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(r)}`);
  return r.message;
}
function status(body: WaWebhook): InboundStatus {
  const r = one(body);
  if (r.kind !== 'status') throw new Error(`expected a status, got ${JSON.stringify(r)}`);
  return r.status;
}

describe('WhatsApp Cloud normalizer (fixtures: pywa + restfb)', () => {
  const m = variants('message.json');

  it('text with the contact profile name as pushName and the wamid as id', () => {
    const x = msg(m.text);
    expect(x).toMatchObject({
      providerMessageId: 'wamid.xyzxyz',
      type: 'text',
      chat: { id: '972987654321', type: 'private' },
      from: { id: '972987654321', name: 'Test Name', phone: '972987654321' },
    });
    expect(x.text).toBeTruthy();
    expect(x.timestamp.getTime()).toBeGreaterThan(1_600_000_000_000);
  });

  it('media: image, video, document (file name), audio vs voice, stickers', () => {
    expect(msg(m.image)).toMatchObject({
      type: 'image',
      media: { providerMediaId: '65463453', mimeType: 'image/jpeg' },
    });
    expect(msg(m.video).type).toBe('video');
    const doc = msg(m.document);
    expect(doc.type).toBe('document');
    expect(doc.media?.providerMediaId).toBeTruthy();
    expect(doc.media?.fileName).toBeTruthy();
    expect(msg(m.audio).type).toBe('audio');
    expect(msg(m.voice).type).toBe('voice');
    expect(msg(m.static_sticker)).toMatchObject({ type: 'sticker', media: { animated: false } });
    expect(msg(m.animated_sticker)).toMatchObject({ type: 'sticker', media: { animated: true } });
    expect(msg(m.media_with_url).media?.providerMediaId).toBeTruthy();
  });

  it('reactions and their removal (empty or absent emoji)', () => {
    const r = msg(m.reaction);
    expect(r.type).toBe('reaction');
    expect(r.reaction?.messageId).toMatch(/^wamid\./);
    expect(r.reaction?.emoji).toBeTruthy();
    expect(msg(m.unreaction_empty).reaction?.emoji).toBe('');
    expect(msg(m.unreaction_no_emoji).reaction?.emoji).toBe('');
  });

  it('locations, contacts, replies and forwarded flags', () => {
    expect(msg(m.chosen_location)).toMatchObject({
      type: 'location',
      location: {
        latitude: 37.4611978,
        longitude: -122.2164385,
        name: 'Facebook HQ',
        address: '1 Hacker Way, Menlo Park, CA 94025',
      },
      forwarded: true,
    });
    expect(msg(m.current_location).location?.latitude).toEqual(expect.any(Number));
    const c = msg(m.contacts);
    expect(c.contacts).toHaveLength(3);
    expect(c.contacts?.[0]).toMatchObject({
      name: 'Chandler Bing',
      firstName: 'Chandler',
      lastName: 'Bing',
      phone: '+1 555-555-5555',
      providerContactId: '972987654321',
    });
    expect(msg(m.reply)).toMatchObject({ type: 'text', text: 'replied text', replyTo: 'wamid.xyzxyz==' });
    expect(msg(m.forwarded)).toMatchObject({ forwarded: true });
    expect(msg(m.forwarded).replyTo).toBeUndefined();
    expect(msg(m.forwarded_many_times).forwarded).toBe(true);
    expect(msg(m.referral).type).toBe('text');
  });

  it('unsupported kinds are stored as unsupported with the provider error', () => {
    expect(msg(m.unsupported)).toMatchObject({
      type: 'unsupported',
      error: { code: 131051, details: 'Message type is currently not supported.' },
    });
    expect(msg(m.unsupported_with_type)).toMatchObject({ type: 'unsupported' });
    expect(msg(m.order)).toMatchObject({ type: 'unsupported', unsupportedKind: 'order' });
    expect(msg(m.interactive_message_with_err)).toMatchObject({
      type: 'unsupported',
      unsupportedKind: 'interactive',
    });
  });

  it('template buttons and interactive replies', () => {
    const b = variants('callback_button.json');
    expect(msg(b.button)).toMatchObject({
      type: 'interactive',
      text: 'title',
      interactive: { type: 'button_reply', id: 'callback_data', title: 'title' },
      replyTo: 'wamid.xyzxyz',
    });
    for (const v of Object.values(b)) expect(['interactive', 'button']).toContain(msg(v).type);
    const s = variants('callback_selection.json');
    expect(msg(s.callback).interactive).toMatchObject({ type: 'list_reply', id: 'callback_data' });
    expect(msg(s.description).interactive?.description).toBeTruthy();
  });

  it('edits update the original message; deletions and system messages are skipped with a reason', () => {
    const e = msg(variants('edited_message.json').image);
    expect(e).toMatchObject({
      providerMessageId: 'wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=',
      type: 'image',
      text: 'Updated image caption',
    });
    expect(e.editedAt).toBeInstanceOf(Date);
    expect(one(variants('deleted_message.json').revoke)).toEqual({
      kind: 'skip',
      reason: 'unmodeled_message:revoke',
    });
    for (const v of Object.values(variants('system.json'))) {
      expect(one(v)).toMatchObject({
        kind: 'skip',
        reason: expect.stringMatching(/^unmodeled_message:system/),
      });
    }
  });

  it('statuses sent / delivered / read / played / failed (with its error)', () => {
    const s = variants('message_status.json');
    for (const k of ['sent', 'delivered', 'read', 'played', 'failed'] as const) {
      expect(status(s[k])).toMatchObject({ status: k, providerMessageId: 'wamid.xyzxyz' });
    }
    expect(status(s.failed).error).toMatchObject({
      code: 130472,
      title: "User's number is part of an experiment",
    });
    expect(items(s.read)[0].providerEventId).toBe('wamid.xyzxyz:read');
    expect(status(s.group)).toMatchObject({ status: 'read', recipientId: 'fowefinoewcnw' });
  });

  it('account, template, call and preference webhooks are skipped naming the field', () => {
    for (const file of [
      'account_update.json',
      'template_status_update.json',
      'template_category_update.json',
      'template_components_update.json',
      'template_quality_update.json',
      'user_marketing_preferences.json',
      'call_connect.json',
      'call_status.json',
      'call_terminate.json',
      'call_permission_update.json',
      'flow_completion.json',
    ]) {
      for (const v of Object.values(variants(file))) {
        for (const it of items(v)) {
          if (it.result.kind === 'skip')
            expect(it.result.reason).toMatch(/^(unmodeled_\w+|no_sender|webhook_errors):/);
          else expect(it.result.kind).toBe('message');
        }
      }
    }
  });

  it('business-app echoes (smb_message_echoes) are ours, in the chat with the recipient', () => {
    const o = variants('outgoing_message.json');
    expect(msg(o.text)).toMatchObject({
      fromMe: true,
      type: 'text',
      text: 'Test message',
      chat: { id: '<WHATSAPP_USER_PHONE_NUMBER>' },
      from: { id: '<BUSINESS_DISPLAY_PHONE_NUMBER>' },
    });
    expect(msg(o.edit)).toMatchObject({
      fromMe: true,
      providerMessageId: 'wamid.zzzzzz',
      text: 'Text was edited',
    });
    expect(one(o.delete)).toEqual({ kind: 'skip', reason: 'unmodeled_message:revoke' });
  });

  it('normalizes every fixture file without throwing, each item with a dedupe key', () => {
    const pywa = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    const restfb = readdirSync(join(FIXTURES, 'restfb')).filter((f) => f.endsWith('.json'));
    expect(pywa.length + restfb.length).toBeGreaterThanOrEqual(53);
    const bodies = [
      ...pywa.flatMap((f) => Object.values(variants(f))),
      ...restfb.map((f) => load(`restfb/${f}`) as WaWebhook),
    ];
    let messages = 0;
    let statuses = 0;
    for (const b of bodies) {
      const all = items(b);
      expect(all.length).toBeGreaterThan(0);
      for (const it of all) {
        expect(it.providerEventId).toBeTruthy();
        if (it.result.kind === 'message') messages += 1;
        if (it.result.kind === 'status') statuses += 1;
      }
    }
    expect(messages).toBeGreaterThan(40);
    expect(statuses).toBeGreaterThanOrEqual(11);
  });

  it('restfb: voice audio, BSUID senders in groups, unknown types with errors, status errors', () => {
    expect(msg(load('restfb/webhook-incoming-message-audio.json') as WaWebhook)).toMatchObject({
      type: 'voice',
      media: { providerMediaId: '1113842206146232' },
    });
    expect(msg(load('restfb/webhook-incoming-message-text-bsuid.json') as WaWebhook)).toMatchObject({
      chat: { id: '120363418770915618@g.us', type: 'group' },
      from: { id: 'US.13491208655302741918', name: 'Sheena Nelson', username: '@realsheenanelson' },
    });
    expect(msg(load('restfb/webhook-incoming-message-error.json') as WaWebhook)).toMatchObject({
      type: 'unsupported',
      unsupportedKind: 'unknown',
      error: { code: 131051, details: 'Message type is not currently supported' },
    });
    expect(msg(load('restfb/webhook-incoming-message-button.json') as WaWebhook)).toMatchObject({
      type: 'button',
      text: 'No',
      interactive: { payload: 'No-Button-Payload' },
    });
    expect(status(load('restfb/webhook-incoming-message-status-errors.json') as WaWebhook)).toMatchObject({
      status: 'failed',
      error: { code: 131026, details: 'Message Undeliverable.' },
    });
  });
});
