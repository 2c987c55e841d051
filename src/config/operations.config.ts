import { isIP } from 'node:net';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How the service is run in production: log format, metrics port, CORS, proxies. */
export interface OperationsConfig {
  /** `json` (one object per line) or `pretty` (one readable line); unset: pretty on a terminal only. */
  logFormat: LogFormat;
  /** Serve /metrics on this port instead of the service's own (undefined: on the service's port). */
  metricsPort: number | undefined;
  /** Origins a browser may call the API from; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Express's `trust proxy`: the proxies whose X-Forwarded-* headers are believed; false: none. */
  trustedProxies: string[] | number | false;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) {
    return true;
  }
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return false;
  }
  if (prefix === undefined) {
    return true;
  }
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Reads the operations settings; adds one sentence per problem to `problems`. */
export function readOperationsConfig(env: NodeJS.ProcessEnv, problems: string[]): OperationsConfig {
  let logFormat: LogFormat = process.stdout.isTTY ? 'pretty' : 'json';
  if (env.LOG_FORMAT) {
    const format = env.LOG_FORMAT.toLowerCase();
    if ((LOG_FORMATS as readonly string[]).includes(format)) {
      logFormat = format as LogFormat;
    } else {
      problems.push(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}".`);
    }
  }

  let metricsPort: number | undefined;
  if (env.METRICS_PORT) {
    const parsed = Number(env.METRICS_PORT);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
      problems.push(
        `METRICS_PORT must be a whole number from 1 to 65535, got "${env.METRICS_PORT}".`,
      );
    } else {
      metricsPort = parsed;
    }
  }

  const corsOrigins = list(env.CORS_ORIGINS ?? '');
  for (const origin of corsOrigins) {
    let valid = origin === '*';
    try {
      valid ||= new URL(origin).origin === origin;
    } catch {
      // Not a URL at all.
    }
    if (!valid) {
      problems.push(
        `CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (scheme, host and port, no path) or *, got "${origin}".`,
      );
    }
  }

  let trustedProxies: string[] | number | false = false;
  const proxies = env.TRUSTED_PROXIES?.trim() ?? '';
  if (/^\d+$/.test(proxies)) {
    // A hop count: that many proxies in front, whatever their addresses.
    trustedProxies = Number(proxies) === 0 ? false : Number(proxies);
  } else if (proxies !== '') {
    const entries = list(proxies);
    const wrong = entries.filter((entry) => !isProxyAddress(entry));
    if (wrong.length > 0) {
      problems.push(
        `TRUSTED_PROXIES must be a number of hops or a comma-separated list of IP addresses, CIDR ranges, loopback, linklocal or uniquelocal, got "${wrong.join(', ')}".`,
      );
    } else {
      trustedProxies = entries;
    }
  }

  return { logFormat, metricsPort, corsOrigins, trustedProxies };
}
