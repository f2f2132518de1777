// Measures classifying one slide-sized batch of real cells (default 200) at
// 128 px with W-Net through classifyCells: cold (first call, pool start and
// model load) and warm, in this thread (TensorFlow.js) and on 1-4 pool
// worker threads with each inference engine: TensorFlow.js (wasm here) and
// ONNX Runtime (src/main/ml/infer/onnx-runtime.ts), the pool's default where it loads.
// Usage: WBC_DB=store.sqlite npx tsx scripts/bench-classify.ts [--dataset pbc-wbc] [--cells 200] [--model ID] [--engines tfjs,onnxruntime]
// Without --model an untrained W-Net is stored (speed does not depend on the weights).
import { loadavg } from 'node:os'
import { openStore } from '../src/main/store/index'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { buildModel, specFor } from '../src/main/ml/model/architectures/index'
import { saveModel } from '../src/main/ml/model/registry'
import { classifyCells } from '../src/main/ml/infer/classify-cells'
import { selectCells } from '../src/main/ml/data/stored-cells'
import { closeInferencePool } from '../src/main/ml/infer/inference-pool'
import { WNET_RECIPE } from '../src/main/imaging/decode'
import { WBC_CLASSES } from '../src/shared/cells'

const arg = (name: string, d?: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : d
}
const db = openStore(process.env.WBC_DB ?? ':memory:')
const n = Number(arg('cells', '200'))
const dataset = arg('dataset', 'pbc-wbc')!
const info = await initBackend()
let modelId = arg('model') ? Number(arg('model')) : undefined
if (modelId === undefined) {
  const m = buildModel(specFor('wnet', { inputSize: 128 }))
  modelId = await saveModel(db, m, { architecture: 'wnet', inputSize: 128, classes: [...WBC_CLASSES], preprocessRecipe: WNET_RECIPE }, { name: 'bench (untrained)', provenance: 'run' })
  m.dispose()
}
const ids = selectCells(db, { dataset }).slice(0, n).map((c) => c.imageId)
console.log(`backend ${info.name}, ${ids.length} cells at 128 px, model ${modelId}, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`)
const engines = arg('engines', 'tfjs,onnxruntime')!.split(',')
const runs: { engine: string; workers: number }[] = [{ engine: 'tfjs', workers: 0 }, ...engines.flatMap((engine) => [1, 2, 4].map((workers) => ({ engine, workers })))]
let poolEngine: string | undefined
for (const { engine, workers } of runs) {
  if (workers > 0 && engine !== poolEngine) {
    // Pool workers read the engine choice when they start: restart them.
    await closeInferencePool()
    if (engine === 'tfjs') process.env.WBC_INFERENCE_ENGINE = 'tfjs'
    else delete process.env.WBC_INFERENCE_ENGINE
    poolEngine = engine
  }
  let ran = ''
  const times: number[] = []
  let cpu = 0
  for (let rep = 0; rep < 4; rep++) {
    const c0 = process.cpuUsage()
    const r = await classifyCells(db, { imageIds: ids, model: modelId, workers, store: false })
    const c = process.cpuUsage(c0)
    times.push(r.seconds.inference)
    ran = r.backend
    // CPU time of this process and its worker threads over the whole call (pixels from the cache, scores).
    if (rep > 0) cpu += (c.user + c.system) / 1e6 / 3
  }
  const warm = times.slice(1).sort((a, b) => a - b)
  console.log(
    `${workers ? `${workers} pool worker${workers > 1 ? 's' : ''}` : 'this thread'} (${ran}): cold ${times[0].toFixed(3)} s, warm median ${warm[1].toFixed(3)} s (best ${warm[0].toFixed(3)} s) = ${(ids.length / warm[1]).toFixed(0)} cells/s; ` +
      `CPU ${cpu.toFixed(3)} s per call (${(ids.length / cpu).toFixed(0)} cells per CPU-second)`
  )
}
await closeInferencePool()
db.close()
