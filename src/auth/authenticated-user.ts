/** Who is calling, as the API-key guard found them. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  isSuperuser: boolean;
  /** The key this request came with. */
  apiKeyId: string;
  /** When that key expires; null: never. */
  apiKeyExpiresAt: string | null;
}
