// Builds test/fixtures/cells: the small set of real cells the test suite
// carries, so a clone anywhere passes `npm test` without the full datasets.
// It copies original files byte for byte (nothing re-encoded) from the full
// datasets ($WBC_DATASETS, see src/main/paths.ts) and writes MANIFEST.csv
// (file, sha256, source). Deterministic: the same datasets give the same set.
//
// What it picks, per class folder, and why:
// - pbc-wbc: the 12 held-out cells per class that test/resources/shipped-model.test.ts
//   samples from resources/models/wnet-pbc-heldout.csv (so the shipped model is
//   checked on cells it never saw, from the fixtures), then cells evenly spaced
//   over the sorted folder (different donors and days) up to 75: enough for
//   the largest test (the 200-cell review slide plus its training set).
// - pbc-other (ig, erythroblast, platelet): 10 each, evenly spaced.
// - chula-wbc (another microscope, stain and site): 8 per class, evenly spaced.
//
// Run: npx tsx scripts/make-test-fixtures.ts (needs the full datasets).
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { datasetsDir, DATASETS_HINT } from '../src/main/paths'
import { seededShuffle } from '../src/main/stats'
import { WBC_CLASSES } from '../src/shared/cells'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FIXTURE_CELLS = join(ROOT, 'test', 'fixtures', 'cells')

export const PLAN: Record<string, { classes: readonly string[]; perClass: number }> = {
  'pbc-wbc': { classes: WBC_CLASSES, perClass: 75 },
  'pbc-other': { classes: ['ig', 'erythroblast', 'platelet'], perClass: 10 },
  'chula-wbc': { classes: WBC_CLASSES, perClass: 8 }
}
const HELD_OUT_PER_CLASS = 12
const HELD_OUT_SEED = 7

/** The held-out cells the shipped-model test samples (same rule as that test). */
function heldOutSample(): Map<string, string[]> {
  const rows = readFileSync(join(ROOT, 'resources', 'models', 'wnet-pbc-heldout.csv'), 'utf8').trim().split('\n').slice(1)
  const byClass = new Map<string, { file: string; sha256: string }[]>()
  for (const row of rows) {
    const [file, sha256] = row.split(',')
    const cls = file!.split('/')[0]!
    byClass.set(cls, [...(byClass.get(cls) ?? []), { file: file!, sha256: sha256! }])
  }
  return new Map([...byClass].map(([cls, files]) => [cls, seededShuffle(files, HELD_OUT_SEED).slice(0, HELD_OUT_PER_CLASS).map((f) => f.file.split('/')[1]!)]))
}

/** `n` names evenly spaced over `names` (sorted), skipping ones already taken. */
function spread(names: string[], n: number, taken: Set<string>): string[] {
  const free = names.filter((x) => !taken.has(x))
  if (free.length <= n) return free
  return Array.from({ length: n }, (_, i) => free[Math.floor((i * free.length) / n)]!)
}

function main(): void {
  const source = datasetsDir(ROOT)
  if (!source) throw new Error(DATASETS_HINT)
  const heldOut = heldOutSample()
  // ATTRIBUTION.md beside the folders is kept: it is written by hand.
  for (const dataset of Object.keys(PLAN)) rmSync(join(FIXTURE_CELLS, dataset), { recursive: true, force: true })
  const manifest = ['file,sha256,source']
  let bytes = 0
  for (const [dataset, plan] of Object.entries(PLAN)) {
    for (const cls of plan.classes) {
      const from = join(source, dataset, cls)
      const names = readdirSync(from).sort()
      const first = dataset === 'pbc-wbc' ? (heldOut.get(cls) ?? []) : []
      for (const f of first) if (!names.includes(f)) throw new Error(`held-out cell ${cls}/${f} is not in ${from}`)
      const picked = [...first, ...spread(names, plan.perClass - first.length, new Set(first))].sort()
      mkdirSync(join(FIXTURE_CELLS, dataset, cls), { recursive: true })
      for (const f of picked) {
        const data = readFileSync(join(from, f))
        bytes += data.length
        copyFileSync(join(from, f), join(FIXTURE_CELLS, dataset, cls, f))
        manifest.push(`${dataset}/${cls}/${f},${createHash('sha256').update(data).digest('hex')},${dataset.startsWith('pbc') ? 'PBC' : 'Chulalongkorn'}`)
      }
    }
  }
  writeFileSync(join(FIXTURE_CELLS, 'MANIFEST.csv'), manifest.join('\n') + '\n')
  console.log(`${manifest.length - 1} cells, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${FIXTURE_CELLS}`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
