import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The service's version from its package.json, found by walking up from this file: it sits two
 * folders up in the sources (src/cli) and three in the build (dist/src/cli).
 */
export function packageVersion(): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const file = path.join(folder, 'package.json');
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'monitor-service' && manifest.version) {
        return manifest.version;
      }
    }
    if (path.dirname(folder) === folder) {
      return 'unknown';
    }
  }
}
