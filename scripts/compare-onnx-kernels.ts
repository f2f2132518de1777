#!/usr/bin/env -S npx tsx
// Whether the shipped W-Net's ONNX graph with 8-bit integer dense layers
// (ml/model/onnx-export.ts, kernels 'integer') calls cells as the float32
// graph does: on the model's held-out cells (its card's list) and on
// non-WBC objects, per cell, the top class, the Unidentified detector's
// routing (score over the calibrated threshold), the review's confidence
// cut and the group the cell lands in, with each graph's accuracy and its
// CPU time per cell (one ONNX Runtime thread).
//   npx tsx scripts/compare-onnx-kernels.ts --data DATASETS/pbc-wbc --list resources/models/wnet-pbc-heldout.csv [--other DATASETS/pbc-other]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { listClassFolders, loadCells, type FolderFile } from '../src/main/ml/data/cell-set'
import { OnnxClassifier } from '../src/main/ml/infer/onnx-runtime'
import { modelToOnnx, type OnnxKernels } from '../src/main/ml/model/onnx-export'
import { artifactsToModel, readModelDir } from '../src/main/ml/model/model-files'
import { shippedModelPath } from '../src/main/ml/model/registry'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { detectorFromBytes, logisticScores } from '../src/main/ml/ood/ood-scores'
import type { ClassifierOutput } from '../src/main/ml/infer/classifier'
import { join } from 'node:path'

const { values: o } = parseArgs({ options: { data: { type: 'string' }, list: { type: 'string' }, other: { type: 'string' }, 'other-every': { type: 'string', default: '4' } } })
if (!o.data || !o.list) throw new Error('--data and --list are needed')
await initBackend('wasm')
const dir = shippedModelPath()!
const a = await readModelDir(dir)
const model = await artifactsToModel(a)
const cal = (a.meta as { calibration?: { score: string; threshold: number; review?: { confidenceThreshold: number } } }).calibration
if (cal?.score !== 'outlier-exposure') throw new Error('the shipped model is expected to route by its outlier-exposure detector')
const detector = detectorFromBytes(new Uint8Array(readFileSync(join(dir, 'wbc-ood-outlier-exposure.bin'))))
const confidenceCut = cal.review?.confidenceThreshold ?? 0

const listed = new Set(readFileSync(o.list, 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean))
const heldOut = (await listClassFolders(o.data)).filter((f) => listed.has(f.relative))
const other: FolderFile[] = o.other ? (await listClassFolders(o.other, ['erythroblast', 'ig', 'platelet'])).filter((_, i) => i % Number(o['other-every']) === 0).map((f) => ({ ...f, label: -1 })) : []
const cells = await loadCells([...heldOut, ...other], a.meta.inputSize)
const n = cells.labels.length
const C = a.meta.classes.length
console.log(`${heldOut.length} held-out WBCs, ${other.length} non-WBC objects`)

async function run(kernels: OnnxKernels): Promise<{ out: ClassifierOutput; cpuMsPerCell: number }> {
  const clf = await OnnxClassifier.fromGraph(modelToOnnx(model, { kernels }), a.meta)
  await clf.predict(cells.pixels.subarray(0, 64 * a.meta.inputSize ** 2 * 3), { batchSize: 64, convStats: true })
  const c0 = process.cpuUsage()
  const out = await clf.predict(cells.pixels, { batchSize: 64, convStats: true })
  const c = process.cpuUsage(c0)
  clf.dispose()
  return { out, cpuMsPerCell: (c.user + c.system) / 1000 / n }
}
const calls = (out: ClassifierOutput) => {
  const scores = logisticScores(detector, out.convStats!, n)
  return Array.from({ length: n }, (_, i) => {
    const p = out.probabilities.subarray(i * C, (i + 1) * C)
    let top = 0
    for (let k = 1; k < C; k++) if (p[k]! > p[top]!) top = k
    const routed = scores[i]! > cal.threshold
    const unsure = p[top]! < confidenceCut
    return { top, confidence: p[top]!, routed, unsure, group: routed || unsure ? -1 : top }
  })
}
const f = await run('float')
const q = await run('integer')
const cf = calls(f.out)
const cq = calls(q.out)
const share = (pred: (i: number) => boolean, of: number[]) => `${of.filter(pred).length}/${of.length}`
const wbc = Array.from({ length: heldOut.length }, (_, i) => i)
const obj = Array.from({ length: other.length }, (_, i) => heldOut.length + i)
const all = [...wbc, ...obj]
let maxDp = 0
for (let i = 0; i < f.out.probabilities.length; i++) maxDp = Math.max(maxDp, Math.abs(f.out.probabilities[i]! - q.out.probabilities[i]!))
console.log(`CPU per cell: float ${f.cpuMsPerCell.toFixed(2)} ms, integer dense ${q.cpuMsPerCell.toFixed(2)} ms`)
console.log(`held-out accuracy: float ${share((i) => cf[i]!.top === cells.labels[i], wbc)}, integer ${share((i) => cq[i]!.top === cells.labels[i], wbc)}`)
console.log(`same top class: ${share((i) => cf[i]!.top === cq[i]!.top, all)}; same detector routing: ${share((i) => cf[i]!.routed === cq[i]!.routed, all)}; same confidence cut: ${share((i) => cf[i]!.unsure === cq[i]!.unsure, all)}; same group: WBCs ${share((i) => cf[i]!.group === cq[i]!.group, wbc)}, objects ${share((i) => cf[i]!.group === cq[i]!.group, obj)}`)
console.log(`largest probability difference ${maxDp.toFixed(4)}`)
model.dispose()
