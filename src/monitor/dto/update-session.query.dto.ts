import { ApiProperty } from '@nestjs/swagger';
import { OneOf, Optional, Required, SessionIdField } from '../../common/validation/fields';

export const SESSION_CONFLICT_POLICIES = ['merge', 'reject'] as const;

export type SessionConflictPolicy = (typeof SESSION_CONFLICT_POLICIES)[number];

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

  /**
   * What to do when the caller already has messages in `new_session_id`: `merge` them (Langflow's
   * behaviour, the default) or `reject` the rename with 409 and change nothing (an extension).
   * @example "merge"
   */
  @Optional()
  @OneOf(SESSION_CONFLICT_POLICIES)
  on_conflict?: SessionConflictPolicy;
}
