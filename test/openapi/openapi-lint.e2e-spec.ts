import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../support/cli-runner';

// The committed openapi.json through Redocly's linter with its recommended rules (no config).
// The openapi-document suite checks that the committed file is what the service serves.

interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

describe('openapi.json under redocly lint (recommended rules)', () => {
  it('has no error and no warning', () => {
    const result = spawnSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'redocly'),
      ['lint', 'openapi.json', '--format=json'],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    const report = JSON.parse(result.stdout) as {
      totals: { errors: number; warnings: number };
      problems: Problem[];
    };

    const found = report.problems.map(
      (problem) =>
        `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer ?? ''}: ${problem.message}`,
    );
    expect(found).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(result.status).toBe(0);
  });
});
