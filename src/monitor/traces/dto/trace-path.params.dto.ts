import { UuidField } from '../../../common/validation/fields';

export class TracePathParamsDto {
  /**
   * The trace's id (a UUID).
   * @example "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
   */
  @UuidField()
  trace_id!: string;
}
