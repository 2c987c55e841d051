import { VertexBuild } from './vertex-build.entity';

/** A build as read from the database: its columns are named as in the API. */
export interface VertexBuildRow {
  build_id: string;
  id: string;
  flow_id: string;
  job_id: string | null;
  timestamp: string;
  data: string | null;
  artifacts: string | null;
  params: string | null;
  /** SQLite gives 0/1. */
  valid: boolean | number;
}

/** The columns of a VertexBuildRow, in the answer's order. */
export const VERTEX_BUILD_COLUMNS = [
  'build_id',
  'id',
  'flow_id',
  'job_id',
  'timestamp',
  'data',
  'artifacts',
  'params',
  'valid',
] as const;

const text = JSON.stringify;
const orNull = (value: string | null) => (value === null ? 'null' : text(value));

/**
 * One build as JSON, fields in the wire order. `data` and `artifacts` are stored as the service
 * serialized them, so they are embedded as they are.
 */
export function serializeVertexBuild(row: VertexBuildRow): string {
  return (
    `{"build_id":${text(row.build_id)}` +
    `,"id":${text(row.id)}` +
    `,"flow_id":${text(row.flow_id)}` +
    `,"job_id":${orNull(row.job_id)}` +
    `,"timestamp":${text(row.timestamp)}` +
    `,"data":${row.data ?? 'null'}` +
    `,"artifacts":${row.artifacts ?? 'null'}` +
    `,"params":${orNull(row.params)}` +
    `,"valid":${row.valid ? 'true' : 'false'}}`
  );
}

/**
 * `{"vertex_builds": {...}}` from rows ordered as the map must be: a vertex's key comes where its
 * first row does. Written as text, because a JavaScript object would move vertex ids that look
 * like integers to the front.
 */
export function serializeVertexBuildMap(rows: VertexBuildRow[]): string {
  const groups = new Map<string, string[]>();
  for (const row of rows) {
    const group = groups.get(row.id) ?? [];
    group.push(serializeVertexBuild(row));
    groups.set(row.id, group);
  }
  const entries = [...groups].map(
    ([vertexId, builds]) => `${text(vertexId)}:[${builds.join(',')}]`,
  );
  return `{"vertex_builds":{${entries.join(',')}}}`;
}

/** The row an entity is stored as, for answering what was just written. */
export function vertexBuildRowOf(build: VertexBuild): VertexBuildRow {
  return {
    build_id: build.buildId,
    id: build.vertexId,
    flow_id: build.flowId,
    job_id: build.jobId,
    timestamp: build.timestamp,
    data: build.data,
    artifacts: build.artifacts,
    params: build.params,
    valid: build.valid,
  };
}
