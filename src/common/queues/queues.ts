/** Queue and job names in one place (STYLE.md §7). Job data holds ids, never secrets. */
export enum QueueName {
  WebhookDelivery = 'webhook-delivery',
}

export enum JobName {
  DeliverWebhook = 'deliver-webhook',
}

/** Data of a `deliver-webhook` job. retryIntervalMs: base of the backoff, ms (snapshot of the instance setting). */
export interface DeliverWebhookJob {
  deliveryId: string;
  retryIntervalMs: number;
}
