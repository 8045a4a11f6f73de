import { inboundMessages, subjectToken } from '../../nats/subjects';
import { FacebookMessengerAdapter } from '../facebook-messenger/facebook-messenger.adapter';
import { InstagramAdapter } from '../instagram/instagram.adapter';
import type { NatsMapping } from '../nats-mapping';

const MESSENGER = FacebookMessengerAdapter.platform as { nats: NatsMapping };
const INSTAGRAM = InstagramAdapter.platform as { nats: NatsMapping };

/** An archived `messaging[]` event through the NATS module's subject builder. */
const archived = (nats: NatsMapping, id: string, slug: string, payload: Record<string, unknown>) =>
  inboundMessages({ id, token: nats.subjectToken, slug, payload, outcome: 'stored', skipReason: null }, nats);

describe('Messenger / Instagram NATS subjects (metaMessagingNats)', () => {
  it('names facebook-messenger "messenger" and instagram by its key', () => {
    expect(subjectToken(FacebookMessengerAdapter.key, MESSENGER)).toBe('messenger');
    expect(subjectToken(InstagramAdapter.key, INSTAGRAM)).toBe(InstagramAdapter.key);
  });

  it('a Messenger messaging event → in.message[.text|.<attachment type>]; delivery/read → in.status', () => {
    const text = {
      sender: { id: '1' },
      recipient: { id: '2' },
      timestamp: 1,
      message: { mid: 'm.1', text: 'hi' },
    };
    expect(archived(MESSENGER.nats, '5', 'page', text).map((m) => [m.subject, m.data])).toEqual([
      ['messenger.page.in.webhook', text],
      ['messenger.page.in.message', text],
      ['messenger.page.in.message.text', text],
    ]);
    const image = {
      sender: { id: '1' },
      message: { mid: 'm.2', attachments: [{ type: 'image', payload: { url: 'u' } }] },
    };
    expect(archived(INSTAGRAM.nats, '6', 'ig', image).map((m) => m.subject)).toEqual([
      'instagram.ig.in.webhook',
      'instagram.ig.in.message',
      'instagram.ig.in.message.image',
    ]);
    const read = { sender: { id: '1' }, read: { watermark: 1 } };
    expect(archived(MESSENGER.nats, '7', 'page', read).map((m) => m.subject)).toEqual([
      'messenger.page.in.webhook',
      'messenger.page.in.status',
    ]);
  });
});
