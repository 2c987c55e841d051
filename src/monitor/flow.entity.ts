import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A flow owns messages; a user owns flows. Ownership of a message is decided through its flow. */
@Entity({ name: 'flow' })
export class Flow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('ix_flow_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
