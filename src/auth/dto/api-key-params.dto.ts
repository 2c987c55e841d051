import { UuidField } from '../../common/validation/fields';

export class ApiKeyParamsDto {
  /**
   * The key's id, as listed by `GET /api/v1/api_key/`.
   * @example "3f1c1a52-8a4e-4f55-9a0e-6a1d5f0f2b8e"
   */
  @UuidField()
  id!: string;
}
