import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../database/byte-ordered.decorator';

@Entity({ name: 'user' })
export class User {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  username!: string;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'is_superuser', type: 'boolean', default: false })
  isSuperuser!: boolean;

  /** ISO-8601 UTC with milliseconds, the same text on every database. */
  @ByteOrdered()
  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
