// Where the shared real datasets live for tests: beside the checkout in
// ../shared/datasets (read-only), or wherever WBC_DATASETS points.
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const DATASETS = process.env.WBC_DATASETS ?? resolve(REPO_ROOT, '../shared/datasets')

export function datasetPath(...parts: string[]): string {
  const p = join(DATASETS, ...parts)
  if (!existsSync(p)) throw new Error(`test dataset missing: ${p} (set WBC_DATASETS)`)
  return p
}

/** The first `n` files (sorted by name) of one class folder of a dataset. */
export function realCells(dataset: string, cls: string, n: number): string[] {
  const dir = datasetPath(dataset, cls)
  return readdirSync(dir).sort().slice(0, n).map((f) => join(dir, f))
}
