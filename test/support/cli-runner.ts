import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { TestDatabase } from './databases';

/** Where package.json is: the CLI runs from the project root, as a user runs it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Settings of the service that must not leak from the test runner into a child process. */
const SERVICE_VARIABLES = [
  'PORT',
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'LOG_LEVEL',
  'MONITOR_SUPERUSER_API_KEY',
  'LOG_FORMAT',
  'METRICS_PORT',
  'CORS_ORIGINS',
  'TRUSTED_PROXIES',
  'MIGRATIONS_RUN',
  'SPOOL_DIR',
  // A developer's own collector must not receive the tests' spans, nor turn tracing on in them.
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_SDK_DISABLED',
];

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child process: the runner's, without its service settings, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVICE_VARIABLES) {
    delete base[name];
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) {
      delete base[name];
    } else {
      base[name] = value;
    }
  }
  return base;
}

/** The environment that points a child process at a test database. */
export function databaseEnv(database: TestDatabase): Record<string, string | undefined> {
  return { DATABASE_URL: database.url, DATABASE_SCHEMA: database.schema };
}

/** Runs `npm run --silent cli -- <args>` as a real child process and collects what it printed. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'cli', '--', ...args], {
      cwd: PROJECT_ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout ends npm and the node process under it together.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        process.kill(-child.pid, 'SIGKILL');
      }
      reject(new Error(`cli ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last non-empty line of a text. */
export function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? '';
}
