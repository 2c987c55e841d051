import { UuidField } from '../../common/validation/fields';

export class MessagePathParamsDto {
  /**
   * The message's id (a UUID).
   * @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
   */
  @UuidField()
  message_id!: string;
}
