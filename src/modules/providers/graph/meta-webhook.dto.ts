/** What a Meta webhook POST answers once every item is durable (the pipeline's default answer). */
export class MetaWebhookOutcomeDto {
  ok: boolean;
  /** Items stored (messages, statuses). */
  stored: number;
  /** Items seen before (Meta redeliveries): acknowledged, nothing stored. */
  duplicates: number;
  /** Items not stored (kinds we do not handle, unknown instances); logged. */
  skipped: number;
}
