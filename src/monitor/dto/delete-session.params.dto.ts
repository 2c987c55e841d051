import { ApiProperty } from '@nestjs/swagger';
import { SessionIdField } from '../../common/validation/fields';

export class DeleteSessionParamsDto {
  /**
   * The session to delete: 1 to 255 characters, no control characters, percent-encoded in the
   * path (`/` as `%2F`).
   * @example "support-chat-42"
   */
  // The plugin cannot see the limits inside SessionIdField, so they are stated here for the document.
  @ApiProperty({ minLength: 1, maxLength: 255 })
  @SessionIdField()
  session_id!: string;
}
