import {
  FutureTimestampField,
  Optional,
  PrintableStringField,
} from '../../common/validation/fields';

/** Names are printed by the CLI and shown in key lists: printable characters only. */
export const MAX_KEY_NAME_LENGTH = 100;

export class CreateApiKeyDto {
  /**
   * A name to recognise the key by: 1 to 100 printable characters (no control characters).
   * @example "ci-pipeline"
   */
  @Optional()
  @PrintableStringField({ min: 1, max: MAX_KEY_NAME_LENGTH })
  name?: string;

  /**
   * When the key stops working (RFC 3339, in the future). Default: never; a key made with a key
   * that expires cannot outlive it, and gets that key's expiry by default.
   * @example "2027-01-01T00:00:00.000Z"
   */
  @Optional()
  @FutureTimestampField()
  expires_at?: string;
}
