import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../../database/byte-ordered.decorator';
import { Trace } from './trace.entity';

/**
 * One step of a trace: a component, an LLM call, a tool call (Langflow's `span` table). JSON
 * fields are text, secrets already masked. The token counts and the model name are read from
 * the attributes when the span is stored (span-usage.ts), so that sums run in SQL.
 */
@Entity({ name: 'span' })
@Index('ix_span_trace_start_id', ['traceId', 'startTime', 'id'])
@Index('ix_span_trace_parent', ['traceId', 'parentSpanId'])
export class Span {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'trace_id', type: 'uuid' })
  traceId!: string;

  /** Declared for the foreign key only (a trace's spans go with it); never loaded. */
  @ManyToOne(() => Trace, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'trace_id' })
  trace?: Trace;

  /** Null for a root span. Not a foreign key: a parent may arrive after its children (OTLP). */
  @Column({ name: 'parent_span_id', type: 'uuid', nullable: true })
  parentSpanId!: string | null;

  @Column({ type: 'text' })
  name!: string;

  /** chain, llm, tool, retriever, embedding, parser or agent. */
  @Column({ name: 'span_type', type: 'varchar', length: 16 })
  spanType!: string;

  /** "unset", "ok" or "error". */
  @Column({ type: 'varchar', length: 8 })
  status!: string;

  @ByteOrdered()
  @Column({ name: 'start_time', type: 'varchar', length: 24 })
  startTime!: string;

  @ByteOrdered()
  @Column({ name: 'end_time', type: 'varchar', length: 24, nullable: true })
  endTime!: string | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  inputs!: string | null;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  outputs!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** INTERNAL, CLIENT, SERVER, PRODUCER or CONSUMER. */
  @Column({ name: 'span_kind', type: 'varchar', length: 16 })
  spanKind!: string;

  /** JSON object: the OpenTelemetry attributes. */
  @Column({ type: 'text' })
  attributes!: string;

  @Column({ name: 'model_name', type: 'text', nullable: true })
  modelName!: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @Column({ name: 'total_tokens', type: 'integer', nullable: true })
  totalTokens!: number | null;
}
