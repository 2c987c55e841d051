import * as path from 'node:path';

/** The repository's root (this file lives in bench/). */
export const ROOT = path.resolve(__dirname, '..');
export const SERVICE_ENTRY = path.join(ROOT, 'dist', 'src', 'main.js');
/** Scratch space: databases, profiles, quick-run results. Ignored by git. */
export const WORK_DIR = path.join(ROOT, 'bench', '.work');
/** The committed reference results of full runs. */
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
