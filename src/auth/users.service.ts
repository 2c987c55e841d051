import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { nowIso } from '../common/time';
import { isUniqueViolation } from '../database/database-errors';
import { TransactionRunner } from '../database/transaction-runner';
import { ApiKeyService, IssuedApiKey } from './api-key.service';
import { UserAlreadyExistsError } from './errors/user-already-exists.error';
import { UserNotFoundError } from './errors/user-not-found.error';
import { User } from './user.entity';

export interface CreatedUser {
  user: User;
  apiKey: IssuedApiKey;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionRunner,
    private readonly apiKeys: ApiKeyService,
  ) {}

  count(): Promise<number> {
    return this.dataSource.manager.count(User);
  }

  async findByUsername(username: string): Promise<User> {
    const user = await this.dataSource.manager.findOneBy(User, { username });
    if (!user) {
      throw new UserNotFoundError(username);
    }
    return user;
  }

  /** Creates a user together with its first API key, in one transaction. */
  async create(
    username: string,
    options: { superuser?: boolean; plainKey?: string } = {},
  ): Promise<CreatedUser> {
    try {
      return await this.transactions.run(async (manager) => {
        if (await manager.existsBy(User, { username })) {
          throw new UserAlreadyExistsError(username);
        }
        const user = manager.create(User, {
          id: randomUUID(),
          username,
          isActive: true,
          isSuperuser: options.superuser ?? false,
          createdAt: nowIso(),
        });
        await manager.insert(User, user);
        const apiKey = await this.apiKeys.issue(user.id, 'default', {
          plainKey: options.plainKey,
          manager,
        });
        return { user, apiKey };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new UserAlreadyExistsError(username);
      }
      throw error;
    }
  }

  /** Deactivates a user: every key of theirs stops working at once; their data stays. */
  async deactivate(username: string): Promise<void> {
    const user = await this.findByUsername(username);
    await this.dataSource.manager.update(User, { id: user.id }, { isActive: false });
  }

  /** Lets a deactivated user's keys work again (the keys themselves were never touched). */
  async activate(username: string): Promise<void> {
    const user = await this.findByUsername(username);
    await this.dataSource.manager.update(User, { id: user.id }, { isActive: true });
  }

  /** Every user, by username. */
  list(): Promise<User[]> {
    return this.dataSource.manager.find(User, { order: { username: 'ASC' } });
  }
}
