import { RetryableDeliveryError } from './retryable-delivery.error';

/** BullMQ worker settings shared by the delivery queues: the delay comes from the failed attempt. */
export const DELIVERY_WORKER_SETTINGS = {
  backoffStrategy: (_attemptsMade: number, _type?: string, err?: Error) =>
    err instanceof RetryableDeliveryError ? err.delayMs : 1000,
};
