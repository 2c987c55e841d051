import * as os from 'node:os';
import * as path from 'node:path';

/** Settings for running under load, behind a pooler and through faults (see README, "Running at scale"). */
export interface ScaleConfig {
  /** Run pending migrations on start (MIGRATIONS_RUN, default true). */
  migrationsRun: boolean;
  /** Where answers built inside a transaction overflow to before they are sent (SPOOL_DIR). */
  spoolDirectory: string;
}

/** Reads the scale settings, adding a sentence to `problems` for each bad value. */
export function loadScaleConfig(env: NodeJS.ProcessEnv, problems: string[]): ScaleConfig {
  return {
    migrationsRun: readBoolean(env, 'MIGRATIONS_RUN', true, problems),
    // Any path; it is created when first needed.
    spoolDirectory: path.resolve(env.SPOOL_DIR || os.tmpdir()),
  };
}

function readBoolean(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: boolean,
  problems: string[],
): boolean {
  const value = env[name];
  if (value === undefined || value === '') {
    return fallback;
  }
  const normalized = value.toLowerCase();
  if (normalized === 'true' || normalized === '1') {
    return true;
  }
  if (normalized === 'false' || normalized === '0') {
    return false;
  }
  problems.push(`${name} must be true or false, got "${value}".`);
  return fallback;
}
