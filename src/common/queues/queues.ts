/** Queue and job names in one place (STYLE.md §7). Job data holds ids, never secrets. */
export enum QueueName {
  WebhookDelivery = 'webhook-delivery',
  /** Replays: one job at a time across the fleet, so a healthy endpoint gets them in `sequence` order. */
  WebhookReplay = 'webhook-replay',
  /** Async sends (issue 11): one job per queued message, jobId = message id. */
  MessageSend = 'message-send',
}

export enum JobName {
  DeliverWebhook = 'deliver-webhook',
  SendMessage = 'send-message',
}

/** Data of a `send-message` job: ids only (the message row holds what to send). */
export interface SendMessageJob {
  messageId: string;
  instanceId: string;
  chatId: string;
}

/** Data of a `deliver-webhook` job. retryIntervalMs: base of the backoff, ms (snapshot of the instance setting). */
export interface DeliverWebhookJob {
  deliveryId: string;
  retryIntervalMs: number;
}

/**
 * BullMQ job id of a delivery's attempt series: the delivery id for the first series, `<id>-r<n>`
 * for manual retry n (a new id, since BullMQ ignores an add while a job with that id is kept;
 * custom ids may not contain ':').
 */
export function deliveryJobId(deliveryId: string, series: number): string {
  return series > 0 ? `${deliveryId}-r${series}` : deliveryId;
}
