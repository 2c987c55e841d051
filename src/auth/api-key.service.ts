import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { nowIso } from '../common/time';
import { RequestValidationError } from '../common/validation/request-validation.error';
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

/**
 * How stale a key's `last_used_at` may be: it is written at most once a minute per key, not on
 * every request.
 */
export const LAST_USE_PRECISION_MS = 60_000;

@Injectable()
export class ApiKeyService {
  private readonly logger = new Logger('ApiKeys');
  private authenticateQuery?: CompiledQuery<'hash'>;
  private touchQuery?: CompiledQuery<'id' | 'now' | 'staleBefore'>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The active user owning this key, or null for an unknown, expired or revoked key or an inactive
   * user. Records the key's last use when the stored one is over a minute old.
   */
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
        .addSelect('k.expires_at', 'expires_at')
        .addSelect('k.last_used_at', 'last_used_at')
        .from(ApiKey, 'k')
        .innerJoin(User, 'u', 'u.id = k.user_id')
        .where('k.key_hash = :hash', { hash: p.hash })
        .andWhere('u.is_active = TRUE')
        .getQueryAndParameters(),
    );
    const query = this.authenticateQuery;
    const [row] = await this.dataSource.query<
      {
        id: string;
        username: string;
        is_superuser: boolean | number;
        key_id: string;
        expires_at: string | null;
        last_used_at: string | null;
      }[]
    >(query.sql, query.parameters({ hash: hashApiKey(plainKey) }));
    if (!row) {
      return null;
    }
    const now = nowIso();
    // Stored timestamps are fixed-width UTC text: text order is time order.
    if (row.expires_at !== null && row.expires_at <= now) {
      return null;
    }
    const staleBefore = new Date(Date.parse(now) - LAST_USE_PRECISION_MS).toISOString();
    if (row.last_used_at === null || row.last_used_at < staleBefore) {
      await this.recordUse(row.key_id, now, staleBefore);
    }
    return {
      id: row.id,
      username: row.username,
      isSuperuser: Boolean(row.is_superuser),
      apiKeyId: row.key_id,
      apiKeyExpiresAt: row.expires_at,
    };
  }

  /**
   * One conditional UPDATE: of several requests (or replicas) seeing a stale time at once, only
   * the first writes. A failure here never fails the request it came with.
   */
  private async recordUse(keyId: string, now: string, staleBefore: string): Promise<void> {
    this.touchQuery ??= compileQuery(['id', 'now', 'staleBefore'], (p) =>
      this.dataSource
        .createQueryBuilder()
        .update(ApiKey)
        .set({ lastUsedAt: () => ':now' })
        .setParameter('now', p.now)
        .where('id = :id', { id: p.id })
        .andWhere('(last_used_at IS NULL OR last_used_at < :staleBefore)', {
          staleBefore: p.staleBefore,
        })
        .getQueryAndParameters(),
    );
    const query = this.touchQuery;
    try {
      await this.dataSource.query(query.sql, query.parameters({ id: keyId, now, staleBefore }));
    } catch (error) {
      this.logger.warn(`could not record the last use of key ${keyId}: ${String(error)}`);
    }
  }

  /** Makes a key for a user; pass `plainKey` to register a given key (the superuser's from env). */
  async issue(
    userId: string,
    name: string,
    options: { plainKey?: string; manager?: EntityManager; expiresAt?: string } = {},
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
      expiresAt: options.expiresAt ?? null,
      lastUsedAt: null,
    });
    await manager.insert(ApiKey, record);
    return { record, plainKey };
  }

  /**
   * A key made by a caller over HTTP. It cannot outlive the key that makes it, so that a leaked
   * key that expires cannot mint one that never does: it gets that key's expiry by default, and a
   * later one is refused.
   */
  issueFor(
    caller: AuthenticatedUser,
    name: string,
    requestedExpiry: string | undefined,
  ): Promise<IssuedApiKey> {
    const limit = caller.apiKeyExpiresAt;
    if (limit !== null && requestedExpiry !== undefined && requestedExpiry > limit) {
      throw new RequestValidationError([
        {
          type: 'value_error',
          loc: ['body', 'expires_at'],
          msg: `Value error, must not be later than the expiry of the key making it (${limit})`,
          input: requestedExpiry,
        },
      ]);
    }
    return this.issue(caller.id, name, { expiresAt: requestedExpiry ?? limit ?? undefined });
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
