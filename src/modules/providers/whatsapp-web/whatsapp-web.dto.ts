import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import QRCode from 'qrcode';
import type { QrLoginState } from '../provider-adapter';

/** `GET …/qr?format=image`: PNG bytes instead of JSON (as `Accept: image/png`). */
export class QrQuery {
  @ApiProperty({ required: false, enum: ['json', 'image'], description: '`image` → image/png' })
  @IsOptional()
  @IsIn(['json', 'image'], { message: 'format must be json or image' })
  format?: 'json' | 'image';
}

/** `POST /api/instances/{id}/pairing-code`. */
export class PairingCodeDto {
  /** The account's number, digits with country code (no `+`). @example 79001234567 */
  @Matches(/^\+?\d{6,15}$/, { message: 'phoneNumber must be digits with country code, e.g. 79001234567' })
  phoneNumber: string;
}

export class PairingCodeResultDto {
  /** Type it on the phone: WhatsApp → Linked devices → Link with phone number. @example ABCD-EFGH */
  code: string;
}

/** `POST /api/instances/{id}/contacts/import` (the seeds' shape). */
export class ImportContactsResultDto {
  success: boolean;
  /** `Successfully imported <n> contacts`. */
  message: string;
  /** Contacts written (new or updated). */
  importedCount: number;
}

/** A QR code as a PNG (width in px; 4-module quiet zone). */
export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'L', margin: 4, width: 300 });
}

export async function qrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'L', margin: 4, width: 300 });
}

/** The seeds' message while the socket connects. */
export const QR_GENERATING_MESSAGE = 'QR code generation in progress. Please try again in a few seconds.';

/**
 * A QR login state as the API answers it: JSON (the seeds' shapes), or the PNG when
 * `?format=image` / `Accept: image/png` and a QR is pending.
 */
export async function renderQr(
  state: QrLoginState,
  want: { format?: string; accept?: string },
): Promise<{ png: Buffer } | { json: Record<string, unknown> }> {
  if (state.state === 'pending') {
    const image = want.format === 'image' || (!want.format && /\bimage\/png\b/.test(want.accept ?? ''));
    if (image) return { png: await qrPng(state.qrCode) };
    return {
      json: {
        status: 'pending',
        qrCode: state.qrCode,
        qrImage: await qrDataUrl(state.qrCode),
        attempt: state.attempt,
        expiresAt: state.expiresAt,
      },
    };
  }
  if (state.state === 'pairing_code')
    return { json: { status: 'pairing_code', pairingCode: state.pairingCode } };
  return { json: { message: QR_GENERATING_MESSAGE, status: 'generating' } };
}
