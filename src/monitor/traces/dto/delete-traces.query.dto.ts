import { Required, UuidField } from '../../../common/validation/fields';

export class DeleteTracesQueryDto {
  /**
   * The flow whose traces to delete (a UUID).
   * @example "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
   */
  @Required()
  @UuidField()
  flow_id!: string;
}
