/** What the tracing SDK offers the rest of the service once it runs. */
export interface RunningTracing {
  /** Exports the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

let running: RunningTracing | undefined;

/**
 * Whether the operator asked for traces: an OTLP endpoint is set (for all signals or for traces
 * alone) and the SDK is not disabled, as the OpenTelemetry specification reads these variables.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return Boolean(endpoint?.trim()) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
}

export function markTracingStarted(tracing: RunningTracing): void {
  running = tracing;
}

/** True once start-tracing.ts has started the SDK in this process. */
export function tracingStarted(): boolean {
  return running !== undefined;
}

/**
 * Flushes the spans not yet exported and stops the SDK; nothing happens when tracing is off.
 * TracingModule calls it when the application closes.
 */
export async function shutdownTracing(): Promise<void> {
  const tracing = running;
  running = undefined;
  await tracing?.shutdown();
}
