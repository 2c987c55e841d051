import { ConfigError, loadAppConfig } from './app.config';

const VALID_KEY = `sk-${'a'.repeat(32)}`;

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const [heading, ...problems] = (error as Error).message.split('\n');
    expect(heading).toBe('Invalid configuration:');
    return problems.map((line) => line.replace(/^- /, ''));
  }
  throw new Error('loadAppConfig accepted the environment');
}

describe('loadAppConfig', () => {
  it('has working defaults for an empty environment', () => {
    const config = loadAppConfig({});
    expect(config).toEqual({
      port: 3000,
      database: { kind: 'sqlite', file: expect.stringMatching(/data[\\/]monitor\.db$/) },
      databaseSchema: undefined,
      logLevel: 'info',
      superuserApiKey: undefined,
      bodyLimitBytes: 10 * 1024 * 1024,
      logFormat: process.stdout.isTTY ? 'pretty' : 'json',
      metricsPort: undefined,
      corsOrigins: [],
      trustedProxies: false,
      readReplicas: { urls: [], maxLagMs: 10_000, pollIntervalMs: 500 },
      retention: {
        maxTransactionsToKeep: 3000,
        maxTracesToKeep: 3000,
        maxVertexBuildsPerVertex: 50,
        maxVertexBuildsToKeep: 3000,
        messageRetentionDays: undefined,
        messageRetentionIntervalMs: 3_600_000,
        otlpHeldSpanMs: 600_000,
        otlpMaxHeldSpans: 100_000,
      },
      scale: {
        migrationsRun: true,
        spoolDirectory: expect.any(String),
        poolSize: 10,
        connectTimeoutMs: 5000,
        statementTimeoutMs: 60_000,
        idleInTransactionTimeoutMs: 10_000,
        keepAliveMs: 10_000,
        healthCheckTimeoutMs: 2000,
        shutdownTimeoutMs: 25_000,
      },
      http: {
        jsonMaxDepth: 64,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        idleTimeoutMs: 10_000,
        keepAliveTimeoutMs: 65_000,
        maxConnections: 1000,
        drainLimitBytes: 16 * 1024 * 1024,
        drainTimeoutMs: 10_000,
      },
      throttling: {
        authFailuresPerMinute: 20,
        rateLimitPerMinute: undefined,
        redisUrl: undefined,
        redisKeyPrefix: 'monitor:throttle:',
      },
    });
  });

  it("reads the retention settings under Langflow's names", () => {
    const config = loadAppConfig({
      MAX_TRANSACTIONS_TO_KEEP: '10',
      MAX_TRACES_TO_KEEP: '7',
      MAX_VERTEX_BUILDS_PER_VERTEX: '2',
      MAX_VERTEX_BUILDS_TO_KEEP: '5',
      MESSAGE_RETENTION_DAYS: '30',
      MESSAGE_RETENTION_INTERVAL_SECONDS: '60',
      OTLP_HELD_SPAN_SECONDS: '30',
      OTLP_MAX_HELD_SPANS: '500',
    });
    expect(config.retention).toEqual({
      maxTransactionsToKeep: 10,
      maxTracesToKeep: 7,
      maxVertexBuildsPerVertex: 2,
      maxVertexBuildsToKeep: 5,
      messageRetentionDays: 30,
      messageRetentionIntervalMs: 60_000,
      otlpHeldSpanMs: 30_000,
      otlpMaxHeldSpans: 500,
    });
  });

  it.each(['0', '-1', '1.5', 'ten', '1e3'])('refuses %j as a retention setting', (value) => {
    expect(() => loadAppConfig({ MAX_TRANSACTIONS_TO_KEEP: value })).toThrow(
      `MAX_TRANSACTIONS_TO_KEEP must be a whole number from 1 to 999999999, got "${value}".`,
    );
    expect(() => loadAppConfig({ MESSAGE_RETENTION_DAYS: value })).toThrow(
      'MESSAGE_RETENTION_DAYS must be a whole number',
    );
    expect(() => loadAppConfig({ OTLP_MAX_HELD_SPANS: value })).toThrow(
      `OTLP_MAX_HELD_SPANS must be a whole number from 1 to 999999999, got "${value}".`,
    );
  });

  it('reads the HTTP limits, seconds with fractions', () => {
    const config = loadAppConfig({
      BODY_LIMIT_BYTES: '1024',
      JSON_MAX_DEPTH: '8',
      HEADERS_TIMEOUT: '0.5',
      REQUEST_TIMEOUT: '2',
      IDLE_TIMEOUT: '1.25',
      KEEP_ALIVE_TIMEOUT: '75',
      MAX_CONNECTIONS: '10',
    });
    expect(config.bodyLimitBytes).toBe(1024);
    expect(config.http).toEqual({
      jsonMaxDepth: 8,
      headersTimeoutMs: 500,
      requestTimeoutMs: 2000,
      idleTimeoutMs: 1250,
      keepAliveTimeoutMs: 75_000,
      maxConnections: 10,
      drainLimitBytes: 16 * 1024 * 1024,
      drainTimeoutMs: 10_000,
    });
  });

  it('reads the throttling settings, and refuses bad ones', () => {
    expect(
      loadAppConfig({
        AUTH_FAILURES_PER_MINUTE: '5',
        RATE_LIMIT_PER_MINUTE: '600',
        REDIS_URL: 'redis://127.0.0.1:6379/2',
        REDIS_KEY_PREFIX: 'svc:',
      }).throttling,
    ).toEqual({
      authFailuresPerMinute: 5,
      rateLimitPerMinute: 600,
      redisUrl: 'redis://127.0.0.1:6379/2',
      redisKeyPrefix: 'svc:',
    });
    expect(loadAppConfig({ RATE_LIMIT_PER_MINUTE: '0' }).throttling.rateLimitPerMinute).toBe(
      undefined,
    );
    expect(
      problemsOf({
        AUTH_FAILURES_PER_MINUTE: 'many',
        RATE_LIMIT_PER_MINUTE: '-3',
        REDIS_URL: 'localhost:6379',
      }),
    ).toEqual([
      'REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.',
      'AUTH_FAILURES_PER_MINUTE must be a whole number from 1 to 9007199254740991, got "many".',
      'RATE_LIMIT_PER_MINUTE must be a whole number from 1 to 9007199254740991, got "-3".',
    ]);
  });

  it('refuses bad HTTP limits, each with its reason', () => {
    const problems = problemsOf({
      BODY_LIMIT_BYTES: '10MB',
      JSON_MAX_DEPTH: '0',
      HEADERS_TIMEOUT: '-1',
      IDLE_TIMEOUT: 'soon',
      MAX_CONNECTIONS: '1.5',
    });
    expect(problems).toEqual([
      'BODY_LIMIT_BYTES must be a whole number from 1 to 1073741824, got "10MB".',
      'JSON_MAX_DEPTH must be a whole number from 1 to 1000, got "0".',
      'HEADERS_TIMEOUT must be a number of seconds above 0 and at most 86400, got "-1".',
      'IDLE_TIMEOUT must be a number of seconds above 0 and at most 86400, got "soon".',
      'MAX_CONNECTIONS must be a whole number from 1 to 9007199254740991, got "1.5".',
    ]);
    expect(problemsOf({ HEADERS_TIMEOUT: '40', REQUEST_TIMEOUT: '30' })).toEqual([
      'HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT.',
    ]);
  });

  it('reads every setting', () => {
    const config = loadAppConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/monitor',
      DATABASE_SCHEMA: 'tenant_1',
      LOG_LEVEL: 'DEBUG',
      MONITOR_SUPERUSER_API_KEY: VALID_KEY,
    });
    expect(config).toMatchObject({
      port: 8080,
      database: { kind: 'postgres', url: 'postgres://u:p@db:5432/monitor' },
      databaseSchema: 'tenant_1',
      logLevel: 'debug',
      superuserApiKey: VALID_KEY,
    });
  });

  it('treats empty values as unset', () => {
    const config = loadAppConfig({
      PORT: '',
      LOG_LEVEL: '',
      DATABASE_SCHEMA: '',
      MONITOR_SUPERUSER_API_KEY: '',
    });
    expect(config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      databaseSchema: undefined,
      superuserApiKey: undefined,
    });
  });

  it.each(['0', '65535'])('accepts the port %s', (port) => {
    expect(loadAppConfig({ PORT: port }).port).toBe(Number(port));
  });

  it.each(['65536', '-1', '80.5', 'http', '3000abc'])('refuses the port %s', (port) => {
    expect(problemsOf({ PORT: port })).toEqual([
      `PORT must be a whole number from 0 to 65535, got "${port}".`,
    ]);
  });

  it('refuses an unknown log level, naming the accepted ones', () => {
    expect(problemsOf({ LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, got "verbose".',
    ]);
  });

  it('refuses a database URL with the parser sentence', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://db/x' })).toEqual([
      'DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db.',
    ]);
  });

  it.each(['Tenant', '1abc', 'a-b', 'x'.repeat(64)])('refuses the schema %s', (schema) => {
    expect(problemsOf({ DATABASE_SCHEMA: schema })).toEqual([
      'DATABASE_SCHEMA must be a lowercase SQL identifier (a-z, 0-9, _), at most 63 characters.',
    ]);
  });

  it.each(['secret', `sk-${'a'.repeat(31)}`, `sk-${'a'.repeat(31)}!`, `pk-${'a'.repeat(32)}`])(
    'refuses the superuser key %s',
    (key) => {
      expect(problemsOf({ MONITOR_SUPERUSER_API_KEY: key })).toEqual([
        'MONITOR_SUPERUSER_API_KEY must be "sk-" followed by at least 32 URL-safe characters (A-Z, a-z, 0-9, "-", "_").',
      ]);
    },
  );

  it('lists every problem at once, one per line', () => {
    expect(
      problemsOf({
        PORT: 'x',
        DATABASE_URL: 'sqlite:',
        LOG_LEVEL: 'loud',
        DATABASE_SCHEMA: 'A',
        MONITOR_SUPERUSER_API_KEY: 'k',
      }),
    ).toHaveLength(5);
  });

  it('never echoes the superuser key it refuses', () => {
    const key = 'sk-short-but-secret';
    expect(problemsOf({ MONITOR_SUPERUSER_API_KEY: key }).join('\n')).not.toContain(key);
  });

  it('reads the scale settings', () => {
    expect(
      loadAppConfig({
        MIGRATIONS_RUN: 'false',
        SPOOL_DIR: '/var/spool/monitor',
        DATABASE_POOL_SIZE: '4',
        DATABASE_CONNECT_TIMEOUT: '1.5',
        DATABASE_STATEMENT_TIMEOUT: '30',
        DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: '2',
        DATABASE_KEEPALIVE: '5',
        HEALTH_CHECK_TIMEOUT: '0.5',
        SHUTDOWN_TIMEOUT: '10',
      }).scale,
    ).toEqual({
      migrationsRun: false,
      spoolDirectory: '/var/spool/monitor',
      poolSize: 4,
      connectTimeoutMs: 1500,
      statementTimeoutMs: 30_000,
      idleInTransactionTimeoutMs: 2000,
      keepAliveMs: 5000,
      healthCheckTimeoutMs: 500,
      shutdownTimeoutMs: 10_000,
    });
    expect(loadAppConfig({ MIGRATIONS_RUN: 'TRUE' }).scale.migrationsRun).toBe(true);
  });

  it('refuses a pool size or database timeout that is not a positive number', () => {
    expect(
      problemsOf({
        DATABASE_POOL_SIZE: '0',
        DATABASE_STATEMENT_TIMEOUT: 'soon',
        SHUTDOWN_TIMEOUT: '-1',
      }),
    ).toEqual([
      'DATABASE_POOL_SIZE must be a whole number from 1 to 1000, got "0".',
      'DATABASE_STATEMENT_TIMEOUT must be a number of seconds above 0 and at most 86400, got "soon".',
      'SHUTDOWN_TIMEOUT must be a number of seconds above 0 and at most 86400, got "-1".',
    ]);
  });

  it('refuses a MIGRATIONS_RUN that is not true or false', () => {
    expect(problemsOf({ MIGRATIONS_RUN: 'maybe' })).toEqual([
      'MIGRATIONS_RUN must be true or false, got "maybe".',
    ]);
  });
});
