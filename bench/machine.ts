import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { ROOT } from './paths';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  database: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  loadAverage: { start: number; end?: number };
}

export function describeMachine(database: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    database,
    loadAverage: { start: Math.round(os.loadavg()[0] * 100) / 100 },
  };
}

export function currentLoadAverage(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}

/** One line for charts and tables. */
export function machineLine(machine: Machine): string {
  return (
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ` +
    `Node ${machine.node}, ${machine.database}`
  );
}

/** The commit the measured service was built from, and whether src/ had uncommitted changes. */
export interface SourceState {
  commit: string;
  srcDirty: boolean;
}

export function describeSource(): SourceState {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    srcDirty: git('status', '--porcelain', '--', 'src') !== '',
  };
}
