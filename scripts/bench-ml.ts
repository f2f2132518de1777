#!/usr/bin/env -S npx tsx
// Machine-learning benchmark (`npm run bench:ml`): W-Net training images/s at
// batch 5 and 32 and inference images/s at 128 px, per available backend
// (and for inference ONNX Runtime, src/main/ml/infer/onnx-runtime.ts, where 'worker
// threads' is its intra-op thread count),
// one worker thread vs two, with the peak memory of each case. Every case
// runs in its own process so its peak RSS is its own. Real PBC cells.
//
//   npm run bench:ml                 # print the table
//   npm run bench:ml -- --write      # also update the "Machine learning" section of BENCHMARKS.md
//   npm run bench:ml -- --quick      # fewer steps (smoke test)
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { datasetsDir } from '../src/main/paths'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    case: { type: 'string' },
    write: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    data: { type: 'string', default: join(datasetsDir(ROOT) ?? '$WBC_DATASETS', 'pbc-wbc') }
  }
})

interface CaseResult {
  name: string
  backend: string
  kind: 'train' | 'infer'
  batch: number
  workers: number
  images: number
  seconds: number
  imagesPerSecond: number
  /** CPU seconds (all threads of the process) per timed image: less sensitive to other load than images/s. */
  cpuSecondsPerImage: number
  peakRssMB: number
  loadAverage: number
  /** Per worker: ms per step in weight load / gradients / Adam shard. */
  phaseMsPerStep?: Record<string, number>[]
}

async function runCase(spec: string): Promise<CaseResult> {
  const [kind, backendPref, batchStr, workersStr, countStr] = spec.split(':')
  const batch = Number(batchStr)
  const workers = Number(workersStr)
  const count = Number(countStr)
  const { initBackend } = await import('../src/main/ml/model/tfjs-backend')
  const { specFor } = await import('../src/main/ml/model/architectures/index')
  const { listClassFolders, loadCells } = await import('../src/main/ml/data/cell-set')
  // onnxruntime: inference only, through src/main/ml/infer/onnx-runtime.ts (the model is built with tfjs wasm, then converted).
  const onnx = backendPref === 'onnxruntime'
  const info = await initBackend(onnx ? 'wasm' : (backendPref as 'wasm' | 'cpu'))
  const files = await listClassFolders(args.data!)
  // The same real cells every run: every 7th file, classes interleaved.
  const picked = files.filter((_, i) => i % 7 === 0).slice(0, Math.max(count, batch * 2))
  const cells = await loadCells(picked, 128, { shared: true })
  const spec128 = specFor('wnet', { inputSize: 128, seed: 1 })
  let images = 0
  let seconds = 0
  let cpu = 0
  let phaseMsPerStep: Record<string, number>[] | undefined
  const loadAverage = loadavg()[0]
  if (kind === 'train') {
    const { train } = await import('../src/main/ml/train/trainer')
    // One warm-up step (XNNPACK set-up, JIT), then time the rest of the epoch.
    let warmAt = 0
    let warmCpu = process.cpuUsage()
    const result = await train({
      spec: spec128, cells, trainIndices: picked.map((_, i) => i).slice(0, count), epochs: 1, batchSize: batch,
      workers, backend: info.name, augment: true, balance: 'none',
      onProgress: (p) => {
        if (p.done === 1) {
          warmAt = performance.now()
          warmCpu = process.cpuUsage()
        }
      }
    })
    seconds = (performance.now() - warmAt) / 1000
    const used = process.cpuUsage(warmCpu)
    cpu = (used.user + used.system) / 1e6
    images = count - batch
    const steps = Math.ceil(count / batch)
    phaseMsPerStep = result.timings?.map((t) => ({ load: Math.round(t.load / steps), grad: Math.round(t.grad / steps), apply: Math.round(t.apply / steps) }))
  } else if (onnx) {
    const { buildModel } = await import('../src/main/ml/model/architectures/index')
    const { OnnxClassifier } = await import('../src/main/ml/infer/onnx-runtime')
    const { WBC_CLASSES } = await import('../src/shared/cells')
    const model = buildModel(spec128)
    // `workers` is ONNX Runtime's intra-op thread count here (one session).
    const clf = await OnnxClassifier.create(model, { architecture: 'wnet', inputSize: 128, classes: [...WBC_CLASSES], preprocessRecipe: 'bench' }, { threads: workers })
    const per = 128 * 128 * 3
    await clf.predict(cells.pixels.subarray(0, batch * per), { batchSize: batch }) // warm-up
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    await clf.predict(cells.pixels.subarray(0, count * per), { batchSize: batch })
    seconds = (performance.now() - t0) / 1000
    const used = process.cpuUsage(c0)
    cpu = (used.user + used.system) / 1e6
    images = count
  } else {
    const { buildModel } = await import('../src/main/ml/model/architectures/index')
    const { Classifier } = await import('../src/main/ml/infer/classifier')
    const { WBC_CLASSES } = await import('../src/shared/cells')
    const clf = new Classifier(buildModel(spec128), { architecture: 'wnet', inputSize: 128, classes: [...WBC_CLASSES], preprocessRecipe: 'bench' })
    const idx = picked.map((_, i) => i).slice(0, count)
    clf.predict(cells.pixels, { indices: idx.slice(0, batch), batchSize: batch }) // warm-up (packs the weights once)
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    clf.predict(cells.pixels, { indices: idx, batchSize: batch })
    seconds = (performance.now() - t0) / 1000
    const used = process.cpuUsage(c0)
    cpu = (used.user + used.system) / 1e6
    images = idx.length
  }
  return {
    name: spec, backend: onnx ? 'onnxruntime (cpu)' : info.name, kind: kind as 'train' | 'infer', batch, workers, images, seconds,
    imagesPerSecond: images / seconds, cpuSecondsPerImage: cpu / images, peakRssMB: process.resourceUsage().maxRSS / 1024,
    loadAverage, phaseMsPerStep
  }
}

if (args.case) {
  const r = await runCase(args.case)
  console.log('RESULT ' + JSON.stringify(r))
  process.exit(0)
}

const q = args.quick
// kind:backend:batch:workers:images. cpu only with tiny counts (it trains at ~0.1 img/s).
const cases = [
  `train:wasm:5:1:${q ? 15 : 65}`,
  `train:wasm:5:2:${q ? 15 : 65}`,
  `train:wasm:32:1:${q ? 64 : 160}`,
  `train:wasm:32:2:${q ? 64 : 160}`,
  `infer:wasm:32:1:${q ? 64 : 320}`,
  `infer:onnxruntime:32:1:${q ? 64 : 320}`,
  `infer:onnxruntime:32:2:${q ? 64 : 320}`,
  `train:cpu:5:1:10`,
  `infer:cpu:32:1:32`
]
const results: CaseResult[] = []
for (const c of cases) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', c, '--data', args.data!], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 })
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) {
    console.error(`case ${c} failed:\n${run.stderr.slice(-3000)}`)
    continue
  }
  const r = JSON.parse(line.slice(7)) as CaseResult
  results.push(r)
  console.error(`${c}: ${r.imagesPerSecond.toFixed(2)} img/s, ${r.cpuSecondsPerImage.toFixed(3)} CPU-s/img, peak RSS ${r.peakRssMB.toFixed(0)} MB, load ${r.loadAverage.toFixed(1)}${r.phaseMsPerStep ? ', ms/step ' + JSON.stringify(r.phaseMsPerStep) : ''}`)
}

const fmt = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2))
const rows = results.map((r) =>
  `| ${r.backend} | ${r.kind === 'train' ? 'training' : 'inference'} | ${r.batch} | ${r.workers} | ${r.images} | ${fmt(r.imagesPerSecond)} | ${r.cpuSecondsPerImage.toFixed(3)} | ${r.peakRssMB.toFixed(0)} | ${r.loadAverage.toFixed(1)} |`
)
const speedup = (b: number) => {
  const one = results.find((r) => r.backend === 'wasm' && r.kind === 'train' && r.batch === b && r.workers === 1)
  const two = results.find((r) => r.backend === 'wasm' && r.kind === 'train' && r.batch === b && r.workers === 2)
  return one && two ? `batch ${b}: ${(two.imagesPerSecond / one.imagesPerSecond).toFixed(2)}x` : undefined
}
const date = new Date().toISOString().slice(0, 10)
const table = [
  `Measured ${date} with \`npm run bench:ml\` (scripts/bench-ml.ts) on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, @tensorflow/tfjs 4.22.0, onnxruntime-node 1.30.0 (inference rows named onnxruntime; its worker threads column is ONNX Runtime's intra-op threads in one session). W-Net (paper architecture, 16,806,949 parameters) at 128x128x3 on real PBC cells; training includes augmentation, per-image standardisation and the Adam step; the first step of each run is a warm-up and not timed. Each case runs in its own process; peak RSS is that process's (worker threads included).`,
  '',
  '| backend | task | batch | worker threads | images timed | images/s | CPU-s / image | peak RSS (MB) | load avg at start |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `Two worker threads vs one (wasm training): ${[speedup(5), speedup(32)].filter(Boolean).join(', ')}.`
].join('\n')
console.log(table)

if (args.write) {
  const file = join(ROOT, 'BENCHMARKS.md')
  const start = '<!-- ml-bench:start -->'
  const end = '<!-- ml-bench:end -->'
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  const block = `${start}\n${table}\n${end}`
  if (text.includes(start) && text.includes(end)) {
    text = text.slice(0, text.indexOf(start)) + block + text.slice(text.indexOf(end) + end.length)
  } else {
    text = text.trimEnd() + `\n\n## Machine learning\n\n${block}\n`
  }
  writeFileSync(file, text)
  console.error(`updated ${file}`)
}
