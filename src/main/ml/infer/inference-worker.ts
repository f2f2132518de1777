// Worker-thread entry for inference: holds loaded classifiers and classifies
// the pixel batches it is sent. Started by inference-pool.ts.
//
// Engine: ONNX Runtime (../model/onnx-export.ts) for the networks it can express (W-Net,
// W-Net-SVM, AlexNet, VGG16) when onnxruntime-node loads, else TensorFlow.js
// (one wasm backend per thread: wasm is single-threaded in Node). A load
// carries either the ONNX graph the caller already wrote (then this thread
// never loads TensorFlow.js: the quickest start for a classification job) or
// the model's tfjs artifacts. The load reply names the engine, and why ONNX
// Runtime was not used.
import { parentPort } from 'node:worker_threads'
import type { ClassifierOutput } from './classifier'
import type { ModelArtifactsBytes, ModelMeta } from '../model/model-files'
import type { OnnxGraphInfo } from '../model/onnx-export'

type Msg =
  | { id: number; type: 'load'; key: string; artifacts?: ModelArtifactsBytes; onnx?: { graph: OnnxGraphInfo; meta: ModelMeta } }
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
if (!port) throw new Error('inference-worker.ts must run in a worker thread')
const models = new Map<string, { loaded: Loaded; reply: LoadReply }>()

async function load(msg: Extract<Msg, { type: 'load' }>): Promise<{ loaded: Loaded; reply: LoadReply }> {
  const { OnnxClassifier, tryOnnxGraph } = await import('./onnx-runtime')
  if (msg.onnx) {
    const onnx = await OnnxClassifier.fromGraph(msg.onnx.graph, msg.onnx.meta)
    return { loaded: onnx, reply: { engine: onnx.engine } }
  }
  const a = msg.artifacts
  if (!a) throw new Error('a load needs the model: artifacts or an ONNX graph')
  const [{ initBackend }, { artifactsToModel }, { Classifier }] = await Promise.all([import('../model/tfjs-backend'), import('../model/model-files'), import('./classifier')])
  const info = await initBackend()
  const model = await artifactsToModel(a)
  const { graph, reason } = tryOnnxGraph(model)
  if (graph) {
    const onnx = await OnnxClassifier.fromGraph(graph, a.meta)
    model.dispose()
    return { loaded: onnx, reply: { engine: onnx.engine } }
  }
  const tfjs = new Classifier(model, a.meta)
  return { loaded: Object.assign(tfjs, { engine: info.name }), reply: { engine: info.name, onnxSkipped: reason } }
}


/** One request from the pool, answered whatever happens (an error becomes the reply). */
const answer = async (msg: Msg): Promise<void> => {
  try {
    if (msg.type === 'load') {
      if (!models.has(msg.key)) models.set(msg.key, await load(msg))
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
}
port.on('message', (msg: Msg) => void answer(msg))
