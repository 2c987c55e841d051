import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { ROOT } from './paths';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** The Node.js that ran the service and the plain server (--node), e.g. v24.22.3. */
  node: string;
  /**
   * The Node.js of the bench process itself: the load generator, the seeding, the floor and
   * Langflow's contender. Absent in results from before it was recorded (it was then node's).
   */
  benchNode?: string;
  os: string;
  database: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  loadAverage: { start: number; end?: number };
}

export function describeMachine(database: string, serverNode: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: serverNode,
    benchNode: process.version,
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
    `Node ${machine.node}${nodeOfBench(machine)}, ${machine.database}`
  );
}

function nodeOfBench(machine: Machine): string {
  return machine.benchNode && machine.benchNode !== machine.node
    ? ` (the bench process on ${machine.benchNode})`
    : '';
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
