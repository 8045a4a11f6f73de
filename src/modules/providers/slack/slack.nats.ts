import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { natsToken } from '../nats-mapping';
import { isObject } from '../payload-shape';

/** Slack event types whose `event` object is a message (Events API: api.slack.com/events/message). */
const MESSAGE_EVENTS = new Set(['message', 'app_mention']);

/**
 * Slack's NATS subjects, `slack.<slug>.in.*` (issue 13: the seed's scheme under the provider key,
 * with the provider's own objects). The archive keeps the Events API `event_callback` envelope
 * (also for Socket Mode, whose `events_api` frames carry the same envelope):
 * - `.in.webhook`: the envelope;
 * - `.in.message`: its `event` object for `message` / `app_mention` events, and
 *   `.in.message.<subtype>` (`text` when Slack sets no subtype: `file_share`, `message_changed`,
 *   `message_deleted`, `thread_broadcast`, …);
 * - `.in.reaction`: `reaction_added` / `reaction_removed` event objects.
 * Other event types: `.in.webhook` only.
 */
export const SLACK_NATS: NatsMapping = {
  subjectToken: 'slack',

  inboundMessages({ payload: envelope }: NatsArchivedItem, add: NatsAdd): void {
    add('webhook', envelope);
    const event = envelope.event;
    if (!isObject(event)) return;
    if (MESSAGE_EVENTS.has(event.type as string)) {
      add('message', event);
      const kind = event.subtype === undefined ? 'text' : natsToken(event.subtype);
      if (kind) add(`message.${kind}`, event);
    } else if (event.type === 'reaction_added' || event.type === 'reaction_removed') {
      add('reaction', event);
    }
  },
};
