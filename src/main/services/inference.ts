// The warm inference service's memory: what the resident job worker (see
// api/jobs.ts, api/job-worker.ts) keeps between classifications. The pool of
// inference threads and the loaded model stay up, so a slide classified
// after the first pays only for its pixels and forward passes. It holds one
// model: the latest job's. When the default model changes while the service
// is up, it loads the new default at once and frees the old one (when it is
// not up, the next classification starts it with the new default). Closing
// frees the pool's threads and every model (on idle, or when the workstation
// closes).
import { closeInferencePool, retainPoolModels } from '../ml/infer/inference-pool'
import { warmClassifier } from '../ml/infer/classify-cells'
import { openStore } from '../store/index'
import { getDefaultModel } from '../store/models'
import { retainStoredClassifiers, unloadClassifiers } from '../ml/model/registry'

/** Frees every model but `modelId` (the pool's keys end in `#<model id>`, see ml/inference). */
export async function retainInferenceModel(modelId: number): Promise<void> {
  retainStoredClassifiers(modelId)
  await retainPoolModels((key) => key.endsWith(`#${modelId}`))
}

/** Frees the pool's threads and every loaded model. */
export async function closeInference(): Promise<void> {
  await closeInferencePool()
  unloadClassifiers()
}

/**
 * Loads the store's default model into the service (and frees the one it
 * held), returning its id; undefined when the store has no default yet (the
 * first classification installs the shipped model).
 */
export async function warmDefaultModel(dbPath: string, nativeBinding?: string): Promise<number | undefined> {
  const db = openStore(dbPath, nativeBinding ? { nativeBinding } : {})
  try {
    const model = getDefaultModel(db)
    if (!model) return undefined
    await warmClassifier(db, model.id)
    await retainInferenceModel(model.id)
    return model.id
  } finally {
    db.close()
  }
}
