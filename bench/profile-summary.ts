import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Summarizes a V8 .cpuprofile (as written by `npm run bench -- --profile`): self time per
 * function and per package, the biggest first. Usage: ts-node bench/profile-summary.ts FILE [N]
 */
function main(): void {
  const [file, limitArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('Usage: ts-node bench/profile-summary.ts FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  const limit = Number(limitArg ?? 30);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
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
  process.stdout.write(`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled\n`);
  print('Self time by package', byPackage);
  print('Self time by function', byFunction);
  print('Inclusive time by function', inclusive);
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
