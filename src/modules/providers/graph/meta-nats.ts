import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { natsObjects, natsToken } from '../nats-mapping';
import { isObject } from '../payload-shape';

/**
 * The NATS subjects of a Send-API platform (Messenger, Instagram) under `subjectToken`: the archive
 * keeps each `messaging[]` event; `.in.webhook` is that event, `.in.message[.<type>]` the event when
 * it carries a `message` (`text`, or the first attachment's type), `.in.status` a `delivery` /
 * `read` event.
 */
export function metaMessagingNats(subjectToken: string): NatsMapping {
  return {
    subjectToken,
    inboundMessages({ payload: ev }: NatsArchivedItem, add: NatsAdd): void {
      add('webhook', ev);
      if (isObject(ev.message)) {
        add('message', ev);
        const m = ev.message;
        const type =
          typeof m.text === 'string' ? 'text' : (natsToken(natsObjects(m.attachments)[0]?.type) ?? null);
        if (type) add(`message.${type}`, ev);
      } else if (isObject(ev.delivery) || isObject(ev.read)) {
        add('status', ev);
      }
    },
  };
}
