import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ByteOrdered } from '../database/byte-ordered.decorator';
import { Flow } from './flow.entity';

/**
 * One message of a conversation. JSON fields are kept as text so that they come back exactly as
 * they were given, and timestamps as fixed-width ISO-8601 UTC text, which sorts and compares the
 * same way on SQLite and PostgreSQL.
 */
@Entity({ name: 'message' })
@Index('ix_message_session_timestamp_id', ['sessionId', 'timestamp', 'id'])
@Index('ix_message_flow_session', ['flowId', 'sessionId'])
@Index('ix_message_flow_timestamp_id', ['flowId', 'timestamp', 'id'])
@Index('ix_message_timestamp', ['timestamp'])
export class Message {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'flow_id', type: 'uuid', nullable: true })
  flowId!: string | null;

  /** Declared for the foreign key only (a flow's messages go with it); never loaded. */
  @ManyToOne(() => Flow, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'flow_id' })
  flow?: Flow | null;

  @ByteOrdered()
  @Column({ type: 'varchar', length: 24 })
  timestamp!: string;

  @Column({ type: 'varchar', length: 255 })
  sender!: string;

  @Column({ name: 'sender_name', type: 'varchar', length: 255 })
  senderName!: string;

  @Column({ name: 'session_id', type: 'varchar', length: 255 })
  sessionId!: string;

  /** Langflow's conversation context (PR 10183): free text, or null. */
  @Column({ name: 'context_id', type: 'varchar', length: 255, nullable: true })
  contextId!: string | null;

  @Column({ type: 'text' })
  text!: string;

  /** JSON array of strings. */
  @Column({ type: 'text', default: '[]' })
  files!: string;

  @Column({ type: 'boolean', default: false })
  edit!: boolean;

  @Column({ type: 'boolean', default: false })
  error!: boolean;

  /** JSON object. */
  @Column({ type: 'text', default: '{}' })
  properties!: string;

  @Column({ type: 'varchar', length: 255, default: 'message' })
  category!: string;

  /** JSON array of objects. */
  @Column({ name: 'content_blocks', type: 'text', default: '[]' })
  contentBlocks!: string;

  /** Langflow 1.11's run duration: any finite number as the caller gave it, or null. */
  @Column({ type: 'double precision', nullable: true })
  duration!: number | null;

  /** Langflow 1.11's session metadata: a JSON object, or null. */
  @Column({ name: 'session_metadata', type: 'text', nullable: true })
  sessionMetadata!: string | null;

  /**
   * Which session rename last moved this message. The rename's re-select reads exactly the rows it
   * moved by this mark, never the ones already in the target session or ingested meanwhile.
   */
  @Column({ name: 'rename_id', type: 'uuid', nullable: true })
  renameId!: string | null;
}
