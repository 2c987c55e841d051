import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../../database/byte-ordered.decorator';
import { Flow } from '../flow.entity';

/**
 * One run of one component of a flow: what went in, what came out (Langflow's `transaction`
 * table; named TransactionLog here so as not to be taken for a database transaction). `inputs`
 * and `outputs` are JSON text, secrets already masked.
 */
@Entity({ name: 'transaction' })
@Index('ix_transaction_flow_timestamp_id', ['flowId', 'timestamp', 'id'])
export class TransactionLog {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId!: string;

  /** Declared for the foreign key only (a flow's transactions go with it); never loaded. */
  @ManyToOne(() => Flow, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'flow_id' })
  flow?: Flow;

  @ByteOrdered()
  @Column({ type: 'varchar', length: 24 })
  timestamp!: string;

  @Column({ name: 'vertex_id', type: 'varchar', length: 255 })
  vertexId!: string;

  @Column({ name: 'target_id', type: 'varchar', length: 255, nullable: true })
  targetId!: string | null;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  inputs!: string | null;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  outputs!: string | null;

  /** "success" or "error". */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
