// Two imports into one database at once (two job workers, two connections):
// each commit is an IMMEDIATE transaction, so the second writer waits for the
// first (busy_timeout) instead of failing with SQLITE_BUSY when its read
// snapshot goes stale, and both finish with every file accounted for.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { importPath } from '../../../src/main/import'
import { afterAll, describe, expect, it } from 'vitest'
import { openWorkstation } from '../../../src/main/api'
import type { JobSnapshot } from '../../../src/shared/api'
import { countImages, openStore } from '../../../src/main/store'
import { copyCells, tempDir } from './fixtures'

const dir = tempDir('wbc-concurrent-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('concurrent imports', () => {
  it('both finish without a failed file; shared cells are stored once', async () => {
    // Two exports that overlap: the same 20 lymphocytes in both, plus their own cells.
    const a = join(dir, 'A')
    const b = join(dir, 'B')
    copyCells('pbc-wbc', 'lymphocyte', 20, a, 'SLIDE-A')
    copyCells('pbc-wbc', 'neutrophil', 60, a, 'SLIDE-A')
    copyCells('pbc-wbc', 'lymphocyte', 20, b, 'SLIDE-B')
    copyCells('pbc-wbc', 'monocyte', 60, b, 'SLIDE-B')
    const dbPath = join(dir, 'wbc.sqlite')
    const ws = openWorkstation({ shell: 'browser', version: 't', dbPath })
    try {
      const finished = new Map<string, JobSnapshot>()
      const done = new Promise<void>((resolve) =>
        ws.events.subscribe((e) => {
          if (e.name === 'job.finished') finished.set(e.payload.id, e.payload)
          if (finished.size === 2) resolve()
        })
      )
      const ids = await Promise.all([a, b].map(async (path) => ((await ws.dispatch('import.start', { path }, 'local-operator')) as { ok: true; value: { jobId: string } }).value.jobId))
      await done
      for (const id of ids) {
        const job = finished.get(id)!
        expect(job.error).toBeNull()
        expect(job).toMatchObject({ state: 'succeeded', result: { counts: { files: 80, failed: 0 } } })
      }
      const counts = ids.map((id) => (finished.get(id)!.result as { counts: { imported: number; duplicate: number } }).counts)
      expect(counts.reduce((n, c) => n + c.imported, 0)).toBe(140)
      expect(counts.reduce((n, c) => n + c.duplicate, 0)).toBe(20)
    } finally {
      await ws.close()
    }
    const db = openStore(dbPath)
    expect(countImages(db)).toBe(140)
    db.close()
  }, 120_000)

  it('an import waits for another writer that keeps taking the write lock, instead of failing SQLITE_BUSY', async () => {
    const src = join(dir, 'C')
    copyCells('pbc-wbc', 'eosinophil', 30, src, 'SLIDE-C')
    const dbPath = join(dir, 'busy.sqlite')
    const db = openStore(dbPath)
    // Another connection writes in short transactions, holding the lock 40 ms at a time, for 4 s.
    const writer = new Worker(
      `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
       const { parentPort, workerData } = require('node:worker_threads')
       const db = new Database(workerData)
       db.pragma('busy_timeout = 10000')
       const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
       parentPort.postMessage('started')
       const end = Date.now() + 4000
       let n = 0
       while (Date.now() < end) {
         db.exec('BEGIN IMMEDIATE')
         db.prepare("INSERT INTO datasets (name, description, created_at) VALUES (?, '', '2026-01-01T00:00:00.000Z')").run('writer-' + n++)
         sleep(40)
         db.exec('COMMIT')
         sleep(2)
       }
       db.close()
       parentPort.postMessage(n)`,
      { eval: true, workerData: dbPath }
    )
    const writes = new Promise<number>((resolve, reject) => {
      writer.on('message', (m) => typeof m === 'number' && resolve(m))
      writer.on('error', reject)
    })
    await new Promise((r) => writer.once('message', r))
    try {
      const report = await importPath(db, src, { batchSize: 2, dataset: 'busy' })
      expect(report.counts).toMatchObject({ files: 30, imported: 30, failed: 0 })
      expect(await writes).toBeGreaterThan(10)
    } finally {
      await writer.terminate()
      db.close()
    }
  }, 120_000)
})
