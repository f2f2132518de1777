// kill -9 during `wbc import`, then the same import again, gives the same
// database content as one uninterrupted import.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { importPath } from '../../../src/main/import/index'
import { openStore } from '../../../src/main/store/index'
import { REPO_ROOT } from '../../helpers/datasets'
import { storeContent } from './content'
import { copyCells, tempDir, writeFile } from './fixtures'

const dir = tempDir('wbc-kill-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const wbc = (args: string[]) => [join(REPO_ROOT, 'bin', 'wbc.js'), ...args]

describe('import after kill -9', () => {
  it('leaves a consistent store, and re-running completes it to the same content as an uninterrupted import', async () => {
    const src = join(dir, 'export')
    const classes = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
    for (const c of classes) copyCells('pbc-wbc', c, 60, src, c)
    // A cell filed twice under different classes, and a broken file, so order and failures matter too.
    const [twice] = copyCells('pbc-wbc', 'monocyte', 1, src, 'monocyte')
    copyFileSync(twice, join(src, 'lymphocyte', 'zz-copy.jpg'))
    writeFile(join(src, 'neutrophil', 'broken.jpg'), 'not an image')

    const ref = openStore(join(dir, 'reference.sqlite'))
    const refReport = await importPath(ref, src)
    expect(refReport.counts.imported).toBe(300)
    const expected = storeContent(ref)
    ref.close()

    const killedDb = join(dir, 'killed.sqlite')
    const child = spawn(process.execPath, wbc(['import', src, '--db', killedDb, '--concurrency', '1']), { stdio: 'ignore' })
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)))
    let committedAtKill = -1
    for (let i = 0; i < 3000 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 10))
      if (!existsSync(killedDb)) continue
      try {
        const peek = new Database(killedDb, { readonly: true, fileMustExist: true })
        const n = peek.prepare('SELECT count(*) FROM images').pluck().get() as number
        peek.close()
        if (n >= 64) {
          child.kill('SIGKILL')
          committedAtKill = n
          break
        }
      } catch {
        /* schema not there yet */
      }
    }
    expect(await exited).toBe('SIGKILL')
    expect(committedAtKill).toBeGreaterThanOrEqual(64)

    const after = openStore(killedDb)
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(after.pragma('foreign_key_check')).toEqual([])
    const partial = after.prepare('SELECT count(*) FROM images').pluck().get() as number
    expect(partial).toBeLessThan(300)
    // Every committed file has its image, labels and dataset row: nothing half-written.
    expect(after.prepare(`SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM image_originals o WHERE o.image_id = i.id)`).pluck().get()).toBe(0)
    expect(after.prepare(`SELECT count(*) FROM images i WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = i.id)`).pluck().get()).toBe(0)
    after.close()

    const rerun = spawnSync(process.execPath, wbc(['import', src, '--db', killedDb, '--json']), { encoding: 'utf8' })
    expect(rerun.status).toBe(1) // broken.jpg fails in every run
    const report = JSON.parse(rerun.stdout)
    expect(report.counts.imported).toBe(300 - partial)

    const done = openStore(killedDb)
    expect(storeContent(done)).toEqual(expected)
    expect(done.prepare(`SELECT status FROM import_batches ORDER BY id`).pluck().all()).toEqual(['interrupted', 'done'])
    done.close()
  })
})
