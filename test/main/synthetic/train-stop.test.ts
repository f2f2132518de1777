// A GAN run stopped between checkpoints (Ctrl-C, SIGTERM, a cancelled job)
// writes a checkpoint at the step it stopped at, and resuming from it gives
// the weights an uninterrupted run reaches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initBackend } from '../../../src/main/ml/model/tfjs-backend'
import { ganSettings } from '../../../src/main/synthetic/dcgan'
import { GanTrainingAborted, ganCheckpointStep, trainGan } from '../../../src/main/synthetic/train'

const dir = mkdtempSync(join(tmpdir(), 'wbc-gan-stop-'))
beforeAll(async () => {
  await initBackend('wasm')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('GAN training stopped between checkpoints', () => {
  it('checkpoints the step it stopped at and resumes to the uninterrupted weights', async () => {
    const s = ganSettings('tiny')
    let seed = 3
    const pixels = Uint8Array.from({ length: 12 * s.size * s.size * 3 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24))
    const whole = await trainGan({ settings: s, pixels, steps: 5, checkpointEvery: 100 })

    const ck = join(dir, 'ck')
    const ac = new AbortController()
    const stopped = trainGan({
      settings: s,
      pixels,
      steps: 5,
      checkpointEvery: 100,
      checkpointDir: ck,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done === 3) ac.abort()
      }
    })
    await expect(stopped).rejects.toBeInstanceOf(GanTrainingAborted)
    expect(await ganCheckpointStep(ck)).toBe(3)

    const resumed = await trainGan({ settings: s, pixels, steps: 5, checkpointEvery: 100, checkpointDir: ck })
    expect(resumed.resumedFromStep).toBe(3)
    let worst = 0
    whole.generatorWeights.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - resumed.generatorWeights[i]))))
    expect(worst).toBeLessThan(1e-5)
  })
})
