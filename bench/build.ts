import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, SERVICE_ENTRY } from './paths';

/** What the build reads besides src/: a change there also calls for a new build. */
const BUILD_INPUTS = ['src', 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * Builds the service with the Nest CLI when dist/ is missing or older than its sources, so the
 * bench always measures the code in the work tree, as `npm run start:prod` would run it.
 * Returns whether it built.
 */
export function ensureBuilt(): boolean {
  const builtAt = modifiedAt(SERVICE_ENTRY);
  const sourcesAt = Math.max(
    ...BUILD_INPUTS.map((input) => newestModification(path.join(ROOT, input))),
  );
  if (builtAt !== undefined && builtAt >= sourcesAt) {
    return false;
  }
  const nest = path.join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  const result = spawnSync(process.execPath, [nest, 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0 || !fs.existsSync(SERVICE_ENTRY)) {
    throw new Error(`nest build failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return true;
}

function modifiedAt(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestModification(entry: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    newest = Math.max(newest, newestModification(path.join(entry, name)));
  }
  return newest;
}
