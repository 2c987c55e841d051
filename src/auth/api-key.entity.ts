import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../database/byte-ordered.decorator';
import { User } from './user.entity';

@Entity({ name: 'api_key' })
export class ApiKey {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('ix_api_key_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** Declared for the foreign key only (a user's keys go with it); never loaded. */
  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** SHA-256 of the key; the key itself is never stored. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64, unique: true })
  keyHash!: string;

  @Column({ name: 'key_preview', type: 'varchar', length: 16 })
  keyPreview!: string;

  @ByteOrdered()
  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  /** When the key stops working; null: never. */
  @ByteOrdered()
  @Column({ name: 'expires_at', type: 'varchar', length: 24, nullable: true })
  expiresAt!: string | null;

  /** When the key last authenticated a request, to the minute (see ApiKeyService). */
  @ByteOrdered()
  @Column({ name: 'last_used_at', type: 'varchar', length: 24, nullable: true })
  lastUsedAt!: string | null;
}
