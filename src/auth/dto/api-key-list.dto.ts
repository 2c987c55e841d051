import { ApiKeyDto } from './api-key.dto';

export class ApiKeyListDto {
  /** @example 1 */
  total_count!: number;

  /** @example "0b6f6a3e-2a7f-4d7c-9f1f-1c2d3e4f5a6b" */
  user_id!: string;

  api_keys!: ApiKeyDto[];
}
