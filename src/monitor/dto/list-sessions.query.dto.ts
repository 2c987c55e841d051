import { Optional, UuidField } from '../../common/validation/fields';

export class ListSessionsQueryDto {
  /**
   * Only sessions with messages in this flow (a UUID).
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Optional()
  @UuidField()
  flow_id?: string;
}
