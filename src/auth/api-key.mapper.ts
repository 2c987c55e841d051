import { ApiKey } from './api-key.entity';
import { ApiKeyDto } from './dto/api-key.dto';
import { CreatedApiKeyDto } from './dto/created-api-key.dto';

export function toApiKeyDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    api_key: key.keyPreview,
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    last_used_at: key.lastUsedAt,
  };
}

export function toCreatedApiKeyDto(key: ApiKey, plainKey: string): CreatedApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    api_key: plainKey,
    created_at: key.createdAt,
    expires_at: key.expiresAt,
  };
}
