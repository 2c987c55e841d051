import { ApiKey } from '../auth/api-key.entity';
import { User } from '../auth/user.entity';
import { Flow } from '../monitor/flow.entity';
import { Message } from '../monitor/message.entity';
import { VertexBuild } from '../monitor/builds/vertex-build.entity';
import { TransactionLog } from '../monitor/transactions/transaction-log.entity';
import { Span } from '../monitor/traces/span.entity';
import { Trace } from '../monitor/traces/trace.entity';
import { HeldSpan } from '../monitor/traces/otlp/held-span.entity';

/** Every entity the service maps, in one list shared by the app, the CLI and ormconfig.ts. */
export const ENTITIES = [
  User,
  ApiKey,
  Flow,
  Message,
  VertexBuild,
  TransactionLog,
  Trace,
  Span,
  HeldSpan,
];
