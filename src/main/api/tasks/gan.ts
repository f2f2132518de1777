// Synthetic-cell jobs: training (or resuming) a class's DCGAN on the store's
// labelled cells, and generating cells from a generator's newest checkpoint.
// Both run the synthetic core (src/main/synthetic) inside the job worker; the
// GAN's training state lives beside the database so a stopped job resumes.
import { ganCheckpointDir } from '../../services/synthetic'
import type { GanJobResult, GenerateJobResult } from '../../../shared/models'
import type { QualityJobResult } from '../../../shared/synthetic'
import { openStore } from '../../store/index'
import type { JobParams, TaskContext } from '../job-protocol'
import { CancelledError } from '../../errors'

const isAbort = (err: unknown) => err instanceof CancelledError

export async function runGanTask(params: JobParams['gan'], ctx: TaskContext): Promise<{ result: GanJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { trainGenerator } = await import('../../synthetic/generators')
    const { getGeneratorByName } = await import('../../store/index')
    const checkpointDir = ganCheckpointDir(ctx.dbPath, params.name)
    try {
      const r = await trainGenerator(db, {
        name: params.name,
        class: params.class,
        preset: params.preset,
        real: { db, ...(params.datasetId !== undefined ? { datasetId: params.datasetId } : {}) },
        ...(params.maxReal !== undefined ? { maxReal: params.maxReal } : {}),
        steps: params.steps,
        checkpointDir,
        checkpointEvery: params.checkpointEvery,
        signal: ctx.signal,
        onProgress: ctx.onProgress
      })
      const g = r.generator
      return { result: { generatorId: g.id, name: g.name, class: g.class, status: g.status, steps: g.steps, targetSteps: g.targetSteps }, cancelled: false }
    } catch (err) {
      const g = getGeneratorByName(db, params.name)
      if (isAbort(err) && g) {
        return { result: { generatorId: g.id, name: g.name, class: g.class, status: g.status, steps: g.steps, targetSteps: g.targetSteps }, cancelled: true }
      }
      throw err
    }
  } finally {
    db.close()
  }
}

export async function runGenerateTask(params: JobParams['generate'], ctx: TaskContext): Promise<{ result: GenerateJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { generateCells } = await import('../../synthetic/generate')
    const { listSyntheticImages } = await import('../../store/index')
    // Continue this seed's draw: new cells, never the same ones again.
    const from = listSyntheticImages(db, { generatorId: params.generatorId }).filter((s) => s.seed === params.seed).length
    const r = await generateCells(db, { generatorId: params.generatorId, count: params.count, seed: params.seed, from, signal: ctx.signal, onProgress: ctx.onProgress })
    return {
      result: { generatorId: r.generator.id, class: r.generator.class, checkpointStep: r.checkpoint.step, cells: r.ids.length, created: r.created },
      cancelled: false
    }
  } finally {
    db.close()
  }
}

/** The quality report (synthetic/quality.ts) with the default model as judge and the store's labelled cells as the real ones. */
export async function runQualityTask(params: JobParams['quality'], ctx: TaskContext): Promise<{ result: QualityJobResult; cancelled: boolean }> {
  const db = openStore(ctx.dbPath, ctx.nativeBinding ? { nativeBinding: ctx.nativeBinding } : {})
  try {
    const { runQualityReport } = await import('../../synthetic/quality')
    const { loadStoredClassifier, resolveStoredModel } = await import('../../ml/model/registry')
    const { getModel } = await import('../../store/models')
    const modelId = await resolveStoredModel(db, undefined)
    const clf = await loadStoredClassifier(db, modelId)
    try {
      const r = await runQualityReport(db, {
        generatorIds: params.generatorIds,
        real: { db, ...(params.datasetId !== undefined ? { datasetId: params.datasetId } : {}) },
        model: clf.model,
        classes: clf.meta.classes,
        modelName: `model ${modelId} (${getModel(db, modelId)?.name ?? clf.meta.architecture})`,
        perClass: params.perClass,
        epochs: params.epochs,
        tstrSize: params.tstrSize,
        seed: params.seed,
        signal: ctx.signal,
        onProgress: ctx.onProgress
      })
      return { result: { reportId: r.id!, classes: r.results.map((c) => c.class), model: r.model, generatorIds: params.generatorIds }, cancelled: false }
    } catch (err) {
      if (isAbort(err)) return { result: { reportId: 0, classes: [], model: '', generatorIds: params.generatorIds }, cancelled: true }
      throw err
    }
  } finally {
    db.close()
  }
}
