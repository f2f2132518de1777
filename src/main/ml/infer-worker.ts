// Worker-thread entry for inference: holds loaded classifiers and classifies
// the pixel batches it is sent. Started by infer-pool.ts.
//
// Engine: ONNX Runtime (onnx.ts) for the networks it can express (W-Net,
// W-Net-SVM, AlexNet, VGG16) when onnxruntime-node loads, else TensorFlow.js
// (one wasm backend per thread: wasm is single-threaded in Node). The load
// reply names the engine, and why ONNX Runtime was not used.
import { parentPort } from 'node:worker_threads'
import { initBackend } from './backend.js'
import { artifactsToModel, type ModelArtifactsBytes } from './model-files.js'
import { Classifier, type ClassifierOutput } from './classifier.js'
import { loadOnnxRuntime, OnnxClassifier, OnnxUnsupported } from './onnx.js'

type Msg =
  | { id: number; type: 'load'; key: string; artifacts: ModelArtifactsBytes }
  | { id: number; type: 'predict'; key: string; pixels: Uint8Array; batchSize: number; features: boolean; convStats: boolean }
  | { id: number; type: 'unload'; key: string }

interface Loaded {
  engine: string
  predict(pixels: Uint8Array, opts: { batchSize: number; features: boolean; convStats: boolean }): ClassifierOutput | Promise<ClassifierOutput>
  dispose(): void
}

/** What a load reports: the engine, and why ONNX Runtime was passed over when it was. */
export interface LoadReply {
  engine: string
  onnxSkipped?: string
}

const port = parentPort
if (!port) throw new Error('infer-worker.ts must run in a worker thread')
const models = new Map<string, { loaded: Loaded; reply: LoadReply }>()

async function load(a: ModelArtifactsBytes): Promise<{ loaded: Loaded; reply: LoadReply }> {
  const info = await initBackend()
  const model = await artifactsToModel(a)
  const { ort, reason } = loadOnnxRuntime()
  let onnxSkipped = reason
  if (ort) {
    try {
      const onnx = await OnnxClassifier.create(model, a.meta)
      model.dispose()
      return { loaded: onnx, reply: { engine: onnx.engine } }
    } catch (err) {
      if (!(err instanceof OnnxUnsupported)) throw err
      onnxSkipped = err.message
    }
  }
  const tfjs = new Classifier(model, a.meta)
  return { loaded: Object.assign(tfjs, { engine: info.name }), reply: { engine: info.name, onnxSkipped } }
}

port.on('message', async (msg: Msg) => {
  try {
    if (msg.type === 'load') {
      if (!models.has(msg.key)) models.set(msg.key, await load(msg.artifacts))
      port.postMessage({ id: msg.id, ok: true, value: models.get(msg.key)!.reply })
    } else if (msg.type === 'predict') {
      const m = models.get(msg.key)
      if (!m) throw new Error(`model ${msg.key} is not loaded in this worker`)
      const out = await m.loaded.predict(msg.pixels, { batchSize: msg.batchSize, features: msg.features, convStats: msg.convStats })
      const transfer = [out.probabilities.buffer, out.features?.buffer, out.logits?.buffer, out.convStats?.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer)
      port.postMessage({ id: msg.id, ok: true, value: { ...out, engine: m.reply.engine } }, transfer)
    } else {
      models.get(msg.key)?.loaded.dispose()
      models.delete(msg.key)
      port.postMessage({ id: msg.id, ok: true, value: null })
    }
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) })
  }
})
