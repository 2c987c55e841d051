import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { nowIso } from '../common/time';
import { ApiKey } from './api-key.entity';
import { apiKeyPreview, generateApiKey, hashApiKey, isApiKeyFormat } from './api-key-format';
import { CompiledQuery, compileQuery } from '../database/compiled-query';
import { AuthenticatedUser } from './authenticated-user';
import { ApiKeyNotFoundError } from './errors/api-key-not-found.error';
import { User } from './user.entity';

/** A key as it was made: the plain text exists only in this value, once. */
export interface IssuedApiKey {
  record: ApiKey;
  plainKey: string;
}

@Injectable()
export class ApiKeyService {
  private authenticateQuery?: CompiledQuery<'hash'>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The active user owning this key, or null for an unknown key or an inactive user. */
  async authenticate(plainKey: string): Promise<AuthenticatedUser | null> {
    if (!isApiKeyFormat(plainKey)) {
      return null;
    }
    // Every request comes through here: the statement is built once.
    this.authenticateQuery ??= compileQuery(['hash'], (p) =>
      this.dataSource
        .createQueryBuilder()
        .select('u.id', 'id')
        .addSelect('u.username', 'username')
        .addSelect('u.is_superuser', 'is_superuser')
        .addSelect('k.id', 'key_id')
        .from(ApiKey, 'k')
        .innerJoin(User, 'u', 'u.id = k.user_id')
        .where('k.key_hash = :hash', { hash: p.hash })
        .andWhere('u.is_active = TRUE')
        .getQueryAndParameters(),
    );
    const query = this.authenticateQuery;
    const [row] = await this.dataSource.query<
      { id: string; username: string; is_superuser: boolean | number; key_id: string }[]
    >(query.sql, query.parameters({ hash: hashApiKey(plainKey) }));
    if (!row) {
      return null;
    }
    return {
      id: row.id,
      username: row.username,
      isSuperuser: Boolean(row.is_superuser),
      apiKeyId: row.key_id,
    };
  }

  /** Makes a key for a user; pass `plainKey` to register a given key (the superuser's from env). */
  async issue(
    userId: string,
    name: string,
    options: { plainKey?: string; manager?: EntityManager } = {},
  ): Promise<IssuedApiKey> {
    const plainKey = options.plainKey ?? generateApiKey();
    const manager = options.manager ?? this.dataSource.manager;
    const record = manager.create(ApiKey, {
      id: randomUUID(),
      userId,
      name,
      keyHash: hashApiKey(plainKey),
      keyPreview: apiKeyPreview(plainKey),
      createdAt: nowIso(),
    });
    await manager.insert(ApiKey, record);
    return { record, plainKey };
  }

  list(userId: string): Promise<ApiKey[]> {
    return this.dataSource.manager.find(ApiKey, {
      where: { userId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Revokes one of the user's keys; it stops working at once. */
  async revoke(userId: string, keyId: string): Promise<void> {
    const result = await this.dataSource.manager.delete(ApiKey, { id: keyId, userId });
    if (!result.affected) {
      throw new ApiKeyNotFoundError();
    }
  }

  /** Revokes a key whoever owns it (the administrator's CLI). */
  async revokeAny(keyId: string): Promise<void> {
    const result = await this.dataSource.manager.delete(ApiKey, { id: keyId });
    if (!result.affected) {
      throw new ApiKeyNotFoundError();
    }
  }
}
