// The warm inference service's memory: what the resident job worker (see
// api/jobs.ts, api/job-worker.ts) keeps between classifications. The pool of
// inference threads and the loaded model stay up, so a slide classified
// after the first pays only for its pixels and forward passes; only the
// model the latest job used is kept (when the default model changes, the
// next slide loads the new one and the old one is freed); closing frees the
// pool's threads and every model (on idle, or when the workstation closes).
import { closeInferencePool, retainPoolModels } from '../ml/infer/inference-pool'
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
