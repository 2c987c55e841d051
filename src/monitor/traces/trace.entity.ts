import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../../database/byte-ordered.decorator';
import { Flow } from '../flow.entity';

/**
 * One run of a flow, as Langflow's trace view shows it (its `trace` table): the root of a tree of
 * spans. Times are ISO 8601 text in UTC with milliseconds, so that they sort as text.
 */
@Entity({ name: 'trace' })
@Index('ix_trace_flow_start_id', ['flowId', 'startTime', 'id'])
@Index('ix_trace_start_id', ['startTime', 'id'])
@Index('ix_trace_session_id', ['sessionId'])
@Index('ix_trace_status', ['status'])
export class Trace {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId!: string;

  /** Declared for the foreign key only (a flow's traces go with it); never loaded. */
  @ManyToOne(() => Flow, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'flow_id' })
  flow?: Flow;

  @Column({ type: 'text' })
  name!: string;

  /** "unset", "ok" or "error". */
  @Column({ type: 'varchar', length: 8 })
  status!: string;

  @ByteOrdered()
  @Column({ name: 'start_time', type: 'varchar', length: 24 })
  startTime!: string;

  @ByteOrdered()
  @Column({ name: 'end_time', type: 'varchar', length: 24, nullable: true })
  endTime!: string | null;

  @Column({ name: 'total_latency_ms', type: 'integer' })
  totalLatencyMs!: number;

  @Column({ name: 'total_tokens', type: 'integer' })
  totalTokens!: number;

  @Column({ name: 'session_id', type: 'varchar', length: 255, nullable: true })
  sessionId!: string | null;
}
