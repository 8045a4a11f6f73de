/** `{success: true, message}`: the seeds' answer to deletes, logouts and other actions. */
export class SuccessResponseDto {
  /** Always true: failures are problem+json. */
  success: boolean;
  /** @example Instance 4f7c… deleted successfully */
  message: string;
}

/** `{success: true}` with nothing else to say (the seeds' logout, typing). */
export class SuccessOnlyDto {
  /** Always true: failures are problem+json. */
  success: boolean;
}
