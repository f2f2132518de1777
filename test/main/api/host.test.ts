// The core host supervises its worker thread: when the core dies, calls and
// running jobs fail (jobs.get keeps answering), the database rows the dead
// core held are released, and a new core serves the next call.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startWorkstationHost } from '../../../src/main/api/host'
import type { JobSnapshot } from '../../../src/shared/api'
import { listImportBatches, openStore } from '../../../src/main/store'
import { copyCells, tempDir } from '../import/fixtures'

const dir = tempDir('wbc-host-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('core host', () => {
  it('restarts a core that died, failing the jobs it ran', async () => {
    const src = join(dir, 'big')
    // 150 cells: enough that the import is still running when the core is killed.
    copyCells('pbc-wbc', 'neutrophil', 75, src, 'SLIDE-BIG')
    copyCells('pbc-wbc', 'lymphocyte', 75, src, 'SLIDE-BIG')
    const dbPath = join(dir, 'wbc.sqlite')
    const host = await startWorkstationHost({ shell: 'browser', version: 't', dbPath })
    try {
      const finished: JobSnapshot[] = []
      let progressed!: () => void
      const firstProgress = new Promise<void>((r) => (progressed = r))
      host.events.subscribe((e) => {
        if (e.name === 'job.finished') finished.push(e.payload)
        if (e.name === 'job.progress' && e.payload.progress.done > 0) progressed()
      })
      const started = await host.dispatch('import.start', { path: src }, 'local-operator')
      const jobId = (started as { ok: true; value: { jobId: string } }).value.jobId
      await firstProgress
      await host.killCore()

      expect(host.restarts()).toBe(1)
      expect(finished).toHaveLength(1)
      expect(finished[0]).toMatchObject({ id: jobId, kind: 'import', state: 'failed', error: { code: 'internal', message: expect.stringMatching(/core stopped/) } })
      expect(await host.dispatch('jobs.get', { jobId }, 'local-operator')).toMatchObject({ ok: true, value: { id: jobId, state: 'failed' } })
      expect(await host.dispatch('jobs.list', {}, 'local-operator')).toMatchObject({ ok: true, value: [{ id: jobId, state: 'failed' }] })
      // The new core answers, and released the batch the dead one held.
      expect(await host.dispatch('app.info', {}, 'local-operator')).toMatchObject({ ok: true, value: { storeReady: true } })
      const db = openStore(dbPath)
      expect(listImportBatches(db).map((b) => b.status)).toEqual(['interrupted'])
      db.close()
      // Importing again finishes the job.
      const again = (await host.dispatch('import.start', { path: src }, 'local-operator')) as { ok: true; value: { jobId: string } }
      const done = await new Promise<JobSnapshot>((resolve) => host.events.subscribe((e) => e.name === 'job.finished' && e.payload.id === again.value.jobId && resolve(e.payload)))
      expect(done).toMatchObject({ state: 'succeeded', result: { counts: { failed: 0 } } })
    } finally {
      await host.close()
    }
  }, 120_000)
})
