/** Thrown for a retryable failed attempt; carries the delay the backoff strategy must use (ms). */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}
