// What the audit chain costs on import: the same folder imported into a fresh
// database without the chain (schema just before it, version 5) and with it
// (the current schema), alternating, several times each; plus appending
// labels alone, the record the chain touches most. Prints the best time of
// each (the machine is shared: the minimum is the least disturbed run).
//
//   npx tsx scripts/bench-audit-chain.ts [FOLDER] [--reps N] [--labels N]
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importPath } from '../src/main/import'
import { appendLabel, migrate, MIGRATIONS, openStore, type Db } from '../src/main/store'
import { registerAuditFunctions } from '../src/main/store/audit'

const args = process.argv.slice(2)
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const folder = args[0] && !args[0].startsWith('--') ? args[0] : join(import.meta.dirname, '..', 'test', 'fixtures', 'cells', 'pbc-wbc')
const reps = opt('--reps', 3)
const labelCount = opt('--labels', 20_000)
const CHAIN_VERSION = MIGRATIONS.find((m) => m.name === 'audit-chain')!.version

function open(file: string, chained: boolean): Db {
  if (chained) return openStore(file)
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  registerAuditFunctions(db)
  migrate(db, MIGRATIONS, CHAIN_VERSION - 1)
  return db as Db
}

const dir = mkdtempSync(join(tmpdir(), 'wbc-bench-chain-'))
const best = { import: { without: Infinity, with: Infinity }, labels: { without: Infinity, with: Infinity } }
let images = 0
try {
  for (let r = 0; r < reps; r++) {
    for (const chained of [false, true]) {
      const key = chained ? 'with' : 'without'
      const db = open(join(dir, `i-${r}-${key}.sqlite`), chained)
      const t0 = performance.now()
      const report = await importPath(db, folder, { dataset: 'bench' })
      best.import[key] = Math.min(best.import[key], (performance.now() - t0) / 1000)
      images = report.counts.imported
      // Labels alone: reviewer labels appended one per call, as review does.
      const ids = db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[]
      const t1 = performance.now()
      db.transaction(() => {
        for (let i = 0; i < labelCount; i++) appendLabel(db, { imageId: ids[i % ids.length], class: 'neutrophil', source: 'reviewer', who: 'bench' })
      })()
      best.labels[key] = Math.min(best.labels[key], (performance.now() - t1) / 1000)
      db.close()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`
console.log(`import of ${images} images (best of ${reps}): without chain ${best.import.without.toFixed(2)} s, with chain ${best.import.with.toFixed(2)} s (${pct(best.import.without, best.import.with)})`)
console.log(
  `${labelCount} labels appended (best of ${reps}): without chain ${best.labels.without.toFixed(3)} s (${Math.round(labelCount / best.labels.without)}/s), with chain ${best.labels.with.toFixed(3)} s (${Math.round(labelCount / best.labels.with)}/s) (${pct(best.labels.without, best.labels.with)})`
)
