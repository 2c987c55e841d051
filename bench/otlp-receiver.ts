import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Client } from 'pg';
import { generateApiKey } from '../src/auth/api-key-format';
import { SUPERUSER_NAME } from '../src/auth/superuser.bootstrap';
import { decodeProtobufRequest } from '../src/monitor/traces/otlp/otlp-codec';
import { mapOtlpSpan } from '../src/monitor/traces/otlp/otlp-span-mapper';
import { Span } from '../src/monitor/traces/span.entity';
import { hexId, readableSpan } from '../test/support/langflow-otlp-run';
import { ensureBuilt } from './build';
import { openBenchDatabase } from './database';
import { ServiceProcess } from './service';
import { round } from './stats';

const USAGE = `Usage: npx ts-node --transpile-only bench/otlp-receiver.ts [--batches N] [--rounds N]

The OTLP receiver (issue 18 point 8): spans per second stored from protobuf batches of 512 spans
(64 Langflow-shaped runs of 8 spans each) posted one after another to POST /v1/traces, against
the floor: the same trace and span rows inserted straight through the driver, one transaction per
batch (better-sqlite3 prepared statements; pg multi-row INSERTs of 100 rows). SQLite by default,
PostgreSQL with BENCH_DATABASE_URL (in a schema of its own, dropped at the end). Rounds alternate
the receiver and the floor; each has a warm-up batch first. Prints a Markdown table; the goal is a
ratio of at least 0.5 (reported, not asserted).

  --batches N   timed batches per contender and round (default 10)
  --rounds N    rounds (default 3)

BENCH_PROFILE_DIR=DIR runs the service with --cpu-prof (profile in DIR, for
bench/profile-summary.ts).
`;

const SPANS_PER_RUN = 8;
const RUNS_PER_BATCH = 64;
const SPAN_COLUMNS = [
  'id',
  'trace_id',
  'parent_span_id',
  'name',
  'span_type',
  'status',
  'start_time',
  'end_time',
  'latency_ms',
  'inputs',
  'outputs',
  'error',
  'span_kind',
  'attributes',
  'model_name',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
] as const;
const SPAN_FIELDS: (keyof Span)[] = [
  'id',
  'traceId',
  'parentSpanId',
  'name',
  'spanType',
  'status',
  'startTime',
  'endTime',
  'latencyMs',
  'inputs',
  'outputs',
  'error',
  'spanKind',
  'attributes',
  'modelName',
  'promptTokens',
  'completionTokens',
  'totalTokens',
];
const TRACE_COLUMNS = [
  'id',
  'flow_id',
  'name',
  'status',
  'start_time',
  'end_time',
  'total_latency_ms',
  'total_tokens',
  'session_id',
] as const;

/** One Langflow-shaped run: a root naming the flow and seven components, one of them a model. */
function run(flowId: string, index: number): ReadableSpan[] {
  const traceId = hexId(16);
  const root = hexId(8);
  const rootName = `Bench Flow - ${flowId}`;
  const base = index * 10_000;
  const spans = [
    readableSpan(traceId, {
      name: rootName,
      spanId: root,
      startMs: base,
      endMs: base + 5000,
      attributes: {
        'langflow.trace_name': rootName,
        'langflow.session_id': `session-${index % 16}`,
        outputs: JSON.stringify({
          message: 'The answer, about a hundred characters long, as a chat reply.',
        }),
      },
    }),
  ];
  for (let component = 1; component < SPANS_PER_RUN; component++) {
    const llm = component === 4;
    spans.push(
      readableSpan(traceId, {
        name: llm ? `OpenAI (OpenAIModel-${component})` : `Component ${component} (C-${component})`,
        spanId: hexId(8),
        parentSpanId: root,
        startMs: base + component * 100,
        endMs: base + component * 100 + 80,
        attributes: {
          trace_type: llm ? 'llm' : 'chain',
          inputs: JSON.stringify({
            input_value: `Input of component ${component}`,
            temperature: 0.1,
          }),
          outputs: JSON.stringify({ text: `Output of component ${component}` }),
          ...(llm
            ? {
                'gen_ai.request.model': 'gpt-4o-mini',
                'gen_ai.usage.input_tokens': 120,
                'gen_ai.usage.output_tokens': 45,
              }
            : {}),
        },
      }),
    );
  }
  return spans;
}

function batch(flowId: string, index: number): ReadableSpan[] {
  return Array.from({ length: RUNS_PER_BATCH }, (_, i) =>
    run(flowId, index * RUNS_PER_BATCH + i),
  ).flat();
}

/** The rows the service stores for a batch, made by its own mapper (outside the floor's timing). */
function rowsOf(
  spans: ReadableSpan[],
  flowId: string,
): { traces: unknown[][]; spans: unknown[][] } {
  const read = decodeProtobufRequest(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
  const mapped = read.spans.map((span) => mapOtlpSpan(span).span);
  const traces = new Map<string, Span[]>();
  for (const span of mapped) {
    traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  }
  return {
    traces: [...traces.values()].map((members) => {
      const root = members.find((span) => span.parentSpanId === null)!;
      return [
        root.traceId,
        flowId,
        root.name,
        'ok',
        root.startTime,
        root.endTime,
        root.latencyMs,
        165,
        'session',
      ];
    }),
    spans: mapped.map((span) => SPAN_FIELDS.map((field) => span[field] as unknown)),
  };
}

interface Floor {
  write(rows: { traces: unknown[][]; spans: unknown[][] }): Promise<void>;
  close(): Promise<void>;
}

function sqliteFloor(file: string): Floor {
  const db = new Database(file, { fileMustExist: true, timeout: 30_000 });
  const insertTrace = db.prepare(
    `INSERT INTO "trace" (${TRACE_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${TRACE_COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertSpan = db.prepare(
    `INSERT INTO "span" (${SPAN_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${SPAN_COLUMNS.map(() => '?').join(', ')})`,
  );
  const write = db.transaction((rows: { traces: unknown[][]; spans: unknown[][] }) => {
    for (const row of rows.traces) {
      insertTrace.run(...row);
    }
    for (const row of rows.spans) {
      insertSpan.run(...row);
    }
  });
  return {
    write: (rows) => Promise.resolve(write.immediate(rows)),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

async function postgresFloor(url: string, schema: string): Promise<Floor> {
  const client = new Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  const insert = async (table: string, columns: readonly string[], rows: unknown[][]) => {
    for (let from = 0; from < rows.length; from += 100) {
      const chunk = rows.slice(from, from + 100);
      const values = chunk
        .map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`)
        .join(', ');
      await client.query(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${values}`,
        chunk.flat(),
      );
    }
  };
  return {
    async write(rows) {
      await client.query('BEGIN');
      await insert('trace', TRACE_COLUMNS, rows.traces);
      await insert('span', SPAN_COLUMNS, rows.spans);
      await client.query('COMMIT');
    },
    close: () => client.end(),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return;
  }
  const option = (name: string, fallback: number) => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const batches = option('--batches', 10);
  const rounds = option('--rounds', 3);
  ensureBuilt();
  const database = openBenchDatabase();
  const apiKey = generateApiKey();
  let service: ServiceProcess | undefined;
  let floor: Floor | undefined;
  try {
    service = await ServiceProcess.start({
      env: { ...database.serviceEnv, MONITOR_SUPERUSER_API_KEY: apiKey, LOG_LEVEL: 'error' },
      apiKey,
      profileDir: process.env.BENCH_PROFILE_DIR,
    });
    await database.connect();
    const ownerId = await database.userId(SUPERUSER_NAME);
    const serviceFlow = await database.createFlow(ownerId);
    const floorFlow = await database.createFlow(ownerId);
    floor =
      database.kind === 'sqlite'
        ? sqliteFloor(database.serviceEnv.DATABASE_URL.slice('sqlite:'.length))
        : await postgresFloor(
            database.serviceEnv.DATABASE_URL,
            database.serviceEnv.DATABASE_SCHEMA,
          );
    const url = `${service.baseUrl}/v1/traces`;
    let next = 0;
    const receiverTimes: number[] = [];
    const floorTimes: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const bodies = Array.from({ length: batches + 1 }, () =>
        Buffer.from(ProtobufTraceSerializer.serializeRequest(batch(serviceFlow, next++))!),
      );
      for (const [index, body] of bodies.entries()) {
        const started = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'x-api-key': apiKey },
          body,
        });
        await response.arrayBuffer();
        if (response.status !== 200) {
          throw new Error(`POST /v1/traces answered ${response.status}`);
        }
        if (index > 0) {
          receiverTimes.push(performance.now() - started);
        }
      }
      const rows = Array.from({ length: batches + 1 }, () =>
        rowsOf(batch(floorFlow, next++), floorFlow),
      );
      for (const [index, row] of rows.entries()) {
        const started = performance.now();
        await floor.write(row);
        if (index > 0) {
          floorTimes.push(performance.now() - started);
        }
      }
    }
    const spansPerBatch = SPANS_PER_RUN * RUNS_PER_BATCH;
    const rate = (times: number[]) =>
      (spansPerBatch * times.length) / (times.reduce((sum, ms) => sum + ms, 0) / 1000);
    const receiver = rate(receiverTimes);
    const floorRate = rate(floorTimes);
    const ratio = receiver / floorRate;
    process.stdout.write(
      `\nOTLP receiver, ${database.kind}: ${receiverTimes.length} batches of ${spansPerBatch} spans each\n\n` +
        '| contender | spans/s | ms per batch (mean) |\n|---|---:|---:|\n' +
        `| POST /v1/traces (protobuf) | ${round(receiver, 0)} | ${round((spansPerBatch / receiver) * 1000, 1)} |\n` +
        `| floor (driver) | ${round(floorRate, 0)} | ${round((spansPerBatch / floorRate) * 1000, 1)} |\n\n` +
        `ratio ${round(ratio, 2)}x the floor (goal >= 0.5x: ${ratio >= 0.5 ? 'met' : 'NOT met'})\n`,
    );
  } finally {
    await floor?.close();
    await service?.stop();
    await database.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
