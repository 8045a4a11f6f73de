import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { natsObjects } from '../nats-mapping';
import { isObject } from '../payload-shape';

/** The `.in.message.<type>` of a Discord message object: what it carries first. */
function messageKind(m: Record<string, unknown>): string {
  if (natsObjects(m.message_snapshots).length) return 'forward';
  if (natsObjects(m.sticker_items).length) return 'sticker';
  if (natsObjects(m.attachments).length) return 'attachment';
  return 'text';
}

/**
 * Discord's NATS subjects, `discord.<slug>.in.*` (issue 13: the seed's scheme under the provider
 * key, with Discord's own objects). The archive keeps the Gateway dispatch (`{op, t, s, d}`) or,
 * for the Interactions endpoint, the interaction object:
 * - `.in.webhook`: the archived object;
 * - `.in.message` + `.in.message.<text|attachment|sticker|forward>`: the message object `d` of
 *   `MESSAGE_CREATE`, and `.in.message.edit` for `MESSAGE_UPDATE`;
 * - `.in.reaction`: `MESSAGE_REACTION_ADD`'s `d`;
 * - `.in.interaction`: an interaction (over HTTP, or `INTERACTION_CREATE`'s `d`).
 */
export const DISCORD_NATS: NatsMapping = {
  subjectToken: 'discord',

  inboundMessages({ payload }: NatsArchivedItem, add: NatsAdd): void {
    add('webhook', payload);
    const d = payload.d;
    switch (payload.t) {
      case 'MESSAGE_CREATE':
        if (!isObject(d)) return;
        add('message', d);
        add(`message.${messageKind(d)}`, d);
        return;
      case 'MESSAGE_UPDATE':
        if (!isObject(d)) return;
        add('message', d);
        add('message.edit', d);
        return;
      case 'MESSAGE_REACTION_ADD':
        if (isObject(d)) add('reaction', d);
        return;
      case 'INTERACTION_CREATE':
        if (isObject(d)) add('interaction', d);
        return;
      default:
        // the Interactions endpoint archives the interaction itself: {id, application_id, type, …}
        if (payload.t === undefined && typeof payload.type === 'number' && payload.application_id)
          add('interaction', payload);
    }
  },
};
