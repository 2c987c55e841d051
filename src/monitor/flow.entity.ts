import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../auth/user.entity';
import { ByteOrdered } from '../database/byte-ordered.decorator';

/** A flow owns messages; a user owns flows. Ownership of a message is decided through its flow. */
@Entity({ name: 'flow' })
export class Flow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('ix_flow_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** Declared for the foreign key only (a user's flows go with it); never loaded. */
  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @ByteOrdered()
  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
