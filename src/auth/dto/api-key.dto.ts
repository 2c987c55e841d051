/** A key as listed: never the secret, only a preview of it. */
export class ApiKeyDto {
  /** @example "3f1c1a52-8a4e-4f55-9a0e-6a1d5f0f2b8e" */
  id!: string;

  /** @example "ci-pipeline" */
  name!: string;

  /**
   * The key's first and last characters.
   * @example "sk-AbCd…9xYz"
   */
  api_key!: string;

  /** @example "2026-11-24T13:09:00.123Z" */
  created_at!: string;

  /**
   * When the key stops working; null: never.
   * @example "2027-01-01T00:00:00.000Z"
   */
  expires_at!: string | null;

  /**
   * When the key last authenticated a request, to within a minute; null: never used.
   * @example "2026-11-25T08:00:12.345Z"
   */
  last_used_at!: string | null;
}
