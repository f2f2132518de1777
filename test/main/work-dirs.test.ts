// Work in progress (training checkpoints, GAN state) stays beside the database
// in folders named by checked names, never in a shared /tmp path or a path a
// generator name could steer.
import { statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { workDirOf } from '../../src/main/paths'
import { foldCheckpointDir } from '../../src/main/ml/train/run-resume'
import { ganCheckpointDir } from '../../src/main/services/synthetic'
import { openWorkstation } from '../../src/main/api'
import { trainGenerator } from '../../src/main/synthetic/generators'
import { openStore } from '../../src/main/store'
import { checkGeneratorName, defaultGeneratorName } from '../../src/shared/synthetic'
import { tempDir } from './import/fixtures'

describe('work folders', () => {
  it('training checkpoints and GAN state live beside the database file', () => {
    const dir = tempDir('wbc-work-')
    const db = openStore(join(dir, 'lab.sqlite'))
    expect(workDirOf(join(dir, 'lab.sqlite'))).toBe(join(dir, 'lab-work'))
    expect(foldCheckpointDir(db, 3, 1)).toBe(join(dir, 'lab-work', 'training', 'run-3', 'fold-1'))
    expect(ganCheckpointDir(join(dir, 'lab.sqlite'), 'neutrophil-cpu')).toBe(join(dir, 'lab-work', 'gan', 'neutrophil-cpu'))
    db.close()
  })

  it('an in-memory database gets a private folder of this process, not a shared /tmp name', () => {
    const mem = openStore(':memory:')
    const d = foldCheckpointDir(mem, 1, 0)
    const own = workDirOf(':memory:')
    expect(d.startsWith(own)).toBe(true)
    expect(own).not.toBe(join(tmpdir(), 'wbc-runs'))
    expect(resolve(own, '..')).toBe(resolve(tmpdir()))
    expect(statSync(own).mode & 0o077).toBe(0)
    mem.close()
  })
})

describe('generator names', () => {
  it('refuses ., .., hidden names, separators and option-looking names', () => {
    for (const bad of ['.', '..', '.hidden', '../x', 'a/b', 'a\\b', '-rf', '', 'x'.repeat(121)]) expect(() => checkGeneratorName(bad)).toThrow(/not a generator name/)
    for (const good of ['neutrophil-cpu', 'eo.v2', 'B_1']) expect(checkGeneratorName(good)).toBe(good)
    expect(() => ganCheckpointDir('/lab/wbc.sqlite', '..')).toThrow(/not a generator name/)
    expect(defaultGeneratorName('smudge cell', 'cpu')).toBe('smudge-cell-cpu')
    expect(defaultGeneratorName('../..', 'cpu')).toBe('cpu')
  })

  it('the API and the core refuse them before anything is stored or written', async () => {
    const dir = tempDir('wbc-gen-name-')
    const ws = openWorkstation({ shell: 'browser', version: 't', dbPath: join(dir, 'wbc.sqlite') })
    try {
      for (const name of ['.', '..', 'a/b', '.x']) {
        expect(await ws.dispatch('gan.start', { class: 'neutrophil', name }, 'local-operator')).toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'name' }] } })
      }
    } finally {
      await ws.close()
    }
    const db = openStore(':memory:')
    await expect(trainGenerator(db, { name: '..', class: 'neutrophil', preset: 'tiny', real: { db }, steps: 1, checkpointDir: dir } as never)).rejects.toThrow(/not a generator name/)
    expect(db.prepare('SELECT count(*) AS n FROM gan_generators').get()).toEqual({ n: 0 })
    db.close()
  })
})
