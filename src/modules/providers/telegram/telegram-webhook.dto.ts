/** What the Telegram webhook answers once the update is durable. */
export class TelegramWebhookOutcomeDto {
  ok: boolean;
  /** The update_id was seen before: acknowledged, nothing stored. */
  duplicate: boolean;
  stored: boolean;
  /** Our message id when a message was stored. */
  messageId?: string;
  /** Why the update was not stored (e.g. an update kind we do not handle). */
  skipReason?: string;
}
