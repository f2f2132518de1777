// Where tests find real cells: the small set the repository carries in
// test/fixtures/cells (pbc-wbc/, pbc-other/, chula-wbc/, one folder per class,
// original files of the public datasets; see its ATTRIBUTION.md), so a clone
// anywhere runs the suite. The full datasets (WBC_DATASETS) are only for
// benchmarks and training, never for a pass/fail test.
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const FIXTURE_CELLS = join(REPO_ROOT, 'test', 'fixtures', 'cells')

/** A folder of the committed fixture cells: `datasetPath('pbc-wbc')`, `datasetPath('pbc-other', 'ig')`. */
export function datasetPath(...parts: string[]): string {
  const p = join(FIXTURE_CELLS, ...parts)
  if (!existsSync(p)) throw new Error(`test fixture missing: ${p} (scripts/make-test-fixtures.ts builds test/fixtures/cells)`)
  return p
}

/** The first `n` files (sorted by name) of one class folder of the fixture cells; throws when it holds fewer. */
export function realCells(dataset: string, cls: string, n: number): string[] {
  const dir = datasetPath(dataset, cls)
  const files = readdirSync(dir).sort()
  if (files.length < n) throw new Error(`test/fixtures/cells/${dataset}/${cls} holds ${files.length} cells, a test asked for ${n}`)
  return files.slice(0, n).map((f) => join(dir, f))
}
