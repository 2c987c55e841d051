/** A new key: the only time its secret is shown. */
export class CreatedApiKeyDto {
  /** @example "3f1c1a52-8a4e-4f55-9a0e-6a1d5f0f2b8e" */
  id!: string;

  /** @example "ci-pipeline" */
  name!: string;

  /**
   * The key itself. Store it now: it cannot be shown again.
   * @example "sk-4fJq0tVd2mX7y8Zr1bN6cW3eK9hL5pS0aQ2uE7iO4gT"
   */
  api_key!: string;

  /** @example "2026-11-24T13:09:00.123Z" */
  created_at!: string;

  /**
   * When the key stops working; null: never.
   * @example "2027-01-01T00:00:00.000Z"
   */
  expires_at!: string | null;
}
