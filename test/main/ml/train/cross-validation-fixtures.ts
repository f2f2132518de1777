// A temp store holding a small real subset of the fixture cells (imported
// through the real importer), for the cross-validation, inference and
// transfer tests.
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { openStore, type Db } from '../../../../src/main/store/index'
import { importPath } from '../../../../src/main/import/index'
import { WBC_CLASSES } from '../../../../src/shared/cells'
import { realCells } from '../../../helpers/datasets'

export interface SmallStore {
  db: Db
  root: string
  /** The class-folder tree that was imported, per dataset name. */
  trees: Record<string, string>
}

/**
 * Imports the first `perClass` cells of each class of each dataset (as
 * datasets of the same name) into a new store in a temp folder.
 */
export async function smallStore(datasets: Record<string, { classes: readonly string[]; perClass: number; offset?: number }>): Promise<SmallStore> {
  const root = mkdtempSync(join(tmpdir(), 'wbc-ml-test-'))
  const db = openStore(join(root, 'store.sqlite'))
  const trees: Record<string, string> = {}
  for (const [name, d] of Object.entries(datasets)) {
    const tree = join(root, name)
    for (const cls of d.classes) {
      mkdirSync(join(tree, cls), { recursive: true })
      const files = realCells(name, cls, (d.offset ?? 0) + d.perClass).slice(d.offset ?? 0)
      for (const f of files) copyFileSync(f, join(tree, cls, basename(f)))
    }
    const r = await importPath(db, tree, { dataset: name })
    if (r.counts.failed) throw new Error(`fixture import failed: ${JSON.stringify(r.failuresByReason)}`)
    trees[name] = tree
  }
  return { db, root, trees }
}

export const FIVE = WBC_CLASSES
