import { ApiProperty } from '@nestjs/swagger';
import { Required, SessionIdField } from '../../common/validation/fields';

export class UpdateSessionQueryDto {
  /**
   * The new session ID to update to: 1 to 255 characters, no control characters. In a query
   * string `+` means a space. If it already has messages, the sessions merge.
   * @example "support-chat-42-archived"
   */
  // The plugin cannot see the limits inside SessionIdField, so they are stated here for the document.
  @ApiProperty({ minLength: 1, maxLength: 255 })
  @Required()
  @SessionIdField()
  new_session_id!: string;
}
