// Work a dead core of this very process left marked as running. The usual
// check (live-process.ts) trusts a row whose pid is alive, and after the core
// worker thread dies and is restarted the pid is still ours: the host tells
// the new core to release what the old one held (src/main/api/host.ts).
import type { Db } from './db'
import { nowIso } from './db'
import { stmt } from './statements'

export interface OrphanReport {
  importBatches: number
  runs: number
  generators: number
}

/** Marks import batches and runs 'interrupted', and training generators 'stopped', that `pid` held. */
export function releaseWorkOf(db: Db, pid: number): OrphanReport {
  return db.transaction(() => {
    const at = nowIso()
    const importBatches = stmt(db, `UPDATE import_batches SET status = 'interrupted', finished_at = ? WHERE status = 'running' AND pid = ?`).run(at, pid).changes
    const runs = stmt(db, `UPDATE runs SET status = 'interrupted', updated_at = ? WHERE status = 'running' AND pid = ?`).run(at, pid).changes
    const generators = stmt(
      db,
      `UPDATE gan_generators SET status = 'stopped', updated_at = ? WHERE status = 'training' AND json_extract(metrics_json, '$.pid') = ?`
    ).run(at, pid).changes
    return { importBatches, runs, generators }
  }).immediate()
}
