// `wbc gan train` killed with SIGKILL mid-run resumes from its last checkpoint.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { effectiveGeneratorStatus, getGeneratorByName, openStore } from '../../../src/main/store/index'
import { trainGenerator } from '../../../src/main/synthetic/generators'
import { ganCheckpointStep } from '../../../src/main/synthetic/train'
import { REPO_ROOT, datasetPath } from '../../helpers/datasets'

const dir = mkdtempSync(join(tmpdir(), 'wbc-gan-kill-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('GAN training after kill -9', () => {
  it('resumes from the last checkpoint', async () => {
    const db = join(dir, 'wbc.sqlite')
    const ck = join(dir, 'ck')
    const args = ['bin/wbc.js', '--db', db, 'gan', 'train', '--class', 'lymphocyte', '--preset', 'tiny', '--real', datasetPath('pbc-wbc'), '--max-real', '16', '--steps', '100000', '--checkpoint-every', '5', '--checkpoint-dir', ck]
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' })
    const started = Date.now()
    // Wait for a checkpoint past the first one, then kill without warning.
    // (While it runs, the folder LATEST names may be replaced under us: retry.)
    const stepNow = async () => (existsSync(join(ck, 'LATEST')) ? await ganCheckpointStep(ck).catch(() => 0) : 0) ?? 0
    while ((await stepNow()) < 10) {
      if (Date.now() - started > 40_000) break
      await new Promise((r) => setTimeout(r, 100))
    }
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const at = await ganCheckpointStep(ck)
    expect(at).toBeGreaterThanOrEqual(10)
    expect(readFileSync(join(ck, 'LATEST'), 'utf8')).toBe(`step-${String(at).padStart(8, '0')}`)

    const store = openStore(db)
    try {
      // Recorded as training, but its process is gone: shown as stopped.
      const row = getGeneratorByName(store, 'lymphocyte-tiny')!
      expect(row.status).toBe('training')
      expect(effectiveGeneratorStatus(row)).toBe('stopped')
      const r = await trainGenerator(store, { name: 'lymphocyte-tiny', class: 'lymphocyte', preset: 'tiny', real: { folder: datasetPath('pbc-wbc') }, maxReal: 16, steps: at! + 2, checkpointDir: ck, checkpointEvery: 5 })
      expect(r.train.resumedFromStep).toBe(at)
      expect(r.generator.steps).toBe(at! + 2)
      expect(r.generator.status).toBe('done')
    } finally {
      store.close()
    }
  })
})
