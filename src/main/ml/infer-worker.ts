// Worker-thread entry for inference: holds loaded classifiers (one wasm
// backend per thread; wasm is single-threaded in Node) and classifies the
// pixel batches it is sent. Started by infer-pool.ts.
import { parentPort } from 'node:worker_threads'
import { initBackend } from './backend.js'
import { artifactsToModel, type ModelArtifactsBytes } from './model-files.js'
import { Classifier } from './classifier.js'

type Msg =
  | { id: number; type: 'load'; key: string; artifacts: ModelArtifactsBytes }
  | { id: number; type: 'predict'; key: string; pixels: Uint8Array; batchSize: number; features: boolean; convStats: boolean }
  | { id: number; type: 'unload'; key: string }

const port = parentPort
if (!port) throw new Error('infer-worker.ts must run in a worker thread')
const models = new Map<string, Classifier>()

port.on('message', async (msg: Msg) => {
  try {
    if (msg.type === 'load') {
      const info = await initBackend()
      if (!models.has(msg.key)) models.set(msg.key, new Classifier(await artifactsToModel(msg.artifacts), msg.artifacts.meta))
      port.postMessage({ id: msg.id, ok: true, value: { backend: info.name } })
    } else if (msg.type === 'predict') {
      const clf = models.get(msg.key)
      if (!clf) throw new Error(`model ${msg.key} is not loaded in this worker`)
      const out = clf.predict(msg.pixels, { batchSize: msg.batchSize, features: msg.features, convStats: msg.convStats })
      const transfer = [out.probabilities.buffer, out.features?.buffer, out.logits?.buffer, out.convStats?.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer)
      port.postMessage({ id: msg.id, ok: true, value: out }, transfer)
    } else {
      models.get(msg.key)?.dispose()
      models.delete(msg.key)
      port.postMessage({ id: msg.id, ok: true, value: null })
    }
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) })
  }
})
