import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../../database/byte-ordered.decorator';
import { Flow } from '../flow.entity';

/**
 * One build of one component (vertex) of a flow, as Langflow's Playground shows it. JSON fields
 * are text, as on messages, and come back exactly as given.
 */
@Entity({ name: 'vertex_build' })
@Index('ix_vertex_build_flow_vertex_timestamp', ['flowId', 'vertexId', 'timestamp'])
@Index('ix_vertex_build_flow_timestamp', ['flowId', 'timestamp', 'buildId'])
export class VertexBuild {
  @PrimaryColumn({ name: 'build_id', type: 'uuid' })
  buildId!: string;

  /** The vertex id, e.g. "ChatInput-NCmix": not unique, one per component of the flow. */
  @ByteOrdered()
  @Column({ name: 'id', type: 'varchar', length: 255 })
  vertexId!: string;

  @Column({ name: 'flow_id', type: 'uuid' })
  flowId!: string;

  /** Declared for the foreign key only (a flow's builds go with it); never loaded. */
  @ManyToOne(() => Flow, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'flow_id' })
  flow?: Flow;

  /** The run that produced it (Langflow 1.8+). */
  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @ByteOrdered()
  @Column({ type: 'varchar', length: 24 })
  timestamp!: string;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  data!: string | null;

  /** JSON object, or null. */
  @Column({ type: 'text', nullable: true })
  artifacts!: string | null;

  @Column({ type: 'text', nullable: true })
  params!: string | null;

  /** False when the build failed. */
  @Column({ type: 'boolean' })
  valid!: boolean;
}
