import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock, as process.hrtime in the bench. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface PhaseWindow {
  name: string;
  startUs: number;
  endUs: number;
}

const USAGE = `Usage: ts-node bench/profile-summary.ts FILE.cpuprofile [N] [--window NAME]

Self and inclusive time of a V8 CPU profile (npm run bench -- --profile), by package and by
function, the N biggest (default 30). --window NAME keeps only the samples of one phase of the
run (scaling, health, rename-load, network), read from windows-<pid>.json beside the profile (health and rename-load: only while the
service, not the plain server, was under load).
`;

/**
 * Summarizes a V8 .cpuprofile (as written by `npm run bench -- --profile`): self time per
 * function and per package, the biggest first.
 */
function main(): void {
  const args = process.argv.slice(2);
  const windowAt = args.indexOf('--window');
  const windowName = windowAt >= 0 ? args.splice(windowAt, 2)[1] : undefined;
  const [file, limitArg] = args;
  if (!file) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const limit = Number(limitArg ?? 30);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const windows = windowName === undefined ? undefined : readWindows(file, windowName);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  let sampledAt = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    sampledAt += delta;
    if (windows && !windows.some((w) => sampledAt >= w.startUs && sampledAt <= w.endUs)) {
      return;
    }
    selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
  });
  const total = [...selfTime.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const owner = packageOf(frame.url, frame.functionName);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + time);
  }
  // Inclusive time: a sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) {
      parent.set(child, node.id);
    }
  }
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!frame.url) {
        continue;
      }
      const name = `${frame.functionName || '(anonymous)'} ${shorten(frame.url)}:${frame.lineNumber + 1}`;
      if (!seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + time);
      }
    }
  }
  const print = (title: string, entries: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, time] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      const percent = ((time / total) * 100).toFixed(1).padStart(5);
      process.stdout.write(`${percent}%  ${(time / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
    }
  };
  const windowSeconds = (windows ?? []).reduce((sum, w) => sum + (w.endUs - w.startUs) / 1e6, 0);
  const scope = windows ? ` in the windows "${windowName}" (${windowSeconds.toFixed(2)} s)` : '';
  process.stdout.write(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled${scope}\n`);
  print('Self time by package', byPackage);
  print('Self time by function', byFunction);
  print('Inclusive time by function', inclusive);
}

/** The phase windows of a name the bench wrote beside the profile (windows-<pid>.json). */
function readWindows(profileFile: string, name: string): PhaseWindow[] {
  const pid = /CPU\.\d+\.\d+\.(\d+)\./.exec(path.basename(profileFile))?.[1];
  const file = path.join(path.dirname(profileFile), `windows-${pid}.json`);
  const windows = JSON.parse(fs.readFileSync(file, 'utf8')) as PhaseWindow[];
  const found = windows.filter((candidate) => candidate.name === name);
  if (found.length === 0) {
    throw new Error(`no window "${name}" in ${file}: ${windows.map((w) => w.name).join(', ')}`);
  }
  return found;
}

function shorten(url: string): string {
  const index = url.lastIndexOf('node_modules/');
  if (index >= 0) {
    return url.slice(index + 'node_modules/'.length);
  }
  return url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
}

function packageOf(url: string, functionName: string): string {
  if (!url) {
    return functionName.startsWith('(') ? functionName : '(native/V8)';
  }
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) {
    return match[1];
  }
  if (url.startsWith('node:')) {
    return 'node core';
  }
  return url.includes('/dist/src/') ? 'service (dist/src)' : shorten(url);
}

main();
