import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../../../auth/user.entity';
import { ByteOrdered } from '../../../database/byte-ordered.decorator';

/**
 * A span received over OTLP before any span of its trace named the flow (Langflow names it on
 * the root span, which ends, and is exported, after its children). Held for the caller who sent
 * it, in the database so that any replica can join it to its trace; dropped after
 * OTLP_HELD_SPAN_SECONDS if the flow never comes. At most OTLP_MAX_HELD_SPANS per user.
 */
@Entity({ name: 'otlp_held_span' })
@Index('ix_otlp_held_span_trace', ['userId', 'traceId'])
@Index('ix_otlp_held_span_received', ['receivedAt'])
export class HeldSpan {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** Declared for the foreign key only (a user's held spans go with them); never loaded. */
  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'trace_id', type: 'uuid' })
  traceId!: string;

  @ByteOrdered()
  @Column({ name: 'received_at', type: 'varchar', length: 24 })
  receivedAt!: string;

  /** The session the span names, or null. */
  @Column({ name: 'session_id', type: 'varchar', length: 255, nullable: true })
  sessionId!: string | null;

  /** JSON: the span's row as it will be stored (secrets already masked). */
  @Column({ type: 'text' })
  row!: string;
}
