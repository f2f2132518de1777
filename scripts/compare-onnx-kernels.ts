#!/usr/bin/env -S npx tsx
// Whether a W-Net's ONNX graph with 8-bit integer dense layers
// (ml/model/onnx-export.ts, kernels 'integer', what slide classification
// runs) calls cells as the float32 graph does: on the model's held-out cells
// (its card's list) and, for a five-class model, on non-WBC objects, per
// cell, the top class, the Unidentified routing of its calibrated score,
// the review's confidence cut and the group the cell lands in, with each
// graph's accuracy and its CPU time per cell (one ONNX Runtime thread).
// --data names the class-folder trees the list's files are in (repeat it);
// --model a model folder (default: the shipped default model).
//   npx tsx scripts/compare-onnx-kernels.ts --data DATASETS/pbc-wbc --list resources/models/wnet-pbc-heldout.csv [--other DATASETS/pbc-other]
//   npx tsx scripts/compare-onnx-kernels.ts --model resources/models/wnet-pbc8 --data DATASETS/pbc-wbc --data DATASETS/pbc-other --list resources/models/wnet-pbc8/wnet-pbc8-heldout.csv
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { listClassFolders, loadCells, type FolderFile } from '../src/main/ml/data/cell-set'
import { scoresOf } from '../src/main/ml/infer/classify-cells'
import type { ClassifierOutput } from '../src/main/ml/infer/classifier'
import { OnnxClassifier } from '../src/main/ml/infer/onnx-runtime'
import { artifactsToModel, readModelDir } from '../src/main/ml/model/model-files'
import { modelToOnnx, type OnnxKernels } from '../src/main/ml/model/onnx-export'
import { shippedModelPath } from '../src/main/ml/model/registry'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { detectorFromBytes, type OodScoreKind } from '../src/main/ml/ood/ood-scores'

const { values: o } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string', multiple: true }, list: { type: 'string' }, other: { type: 'string' }, 'other-every': { type: 'string', default: '4' } }
})
if (!o.data?.length || !o.list) throw new Error('--data and --list are needed')
await initBackend('wasm')
const dir = o.model ?? shippedModelPath()!
const a = await readModelDir(dir)
const model = await artifactsToModel(a)
const classes = a.meta.classes
const C = classes.length
const cal = (a.meta as { calibration?: { score: OodScoreKind; threshold: number; review?: { confidenceThreshold: number } } }).calibration
const detectorFile = join(dir, 'wbc-ood-outlier-exposure.bin')
const data = cal?.score === 'outlier-exposure' && existsSync(detectorFile) ? { detector: detectorFromBytes(new Uint8Array(readFileSync(detectorFile))) } : {}
if (cal && cal.score !== 'msp' && cal.score !== 'outlier-exposure') throw new Error(`score ${cal.score}: not handled by this script`)
const confidenceCut = cal?.review?.confidenceThreshold ?? 0

const listed = new Set(readFileSync(o.list, 'utf8').split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean))
const heldOut: FolderFile[] = []
for (const root of o.data) heldOut.push(...(await listClassFolders(root, classes)).filter((f) => listed.has(f.relative)))
const otherClasses = ['erythroblast', 'ig', 'platelet'].filter((c) => !classes.includes(c))
const other: FolderFile[] = o.other && otherClasses.length ? (await listClassFolders(o.other, otherClasses)).filter((_, i) => i % Number(o['other-every']) === 0).map((f) => ({ ...f, label: -1 })) : []
const cells = await loadCells([...heldOut, ...other], a.meta.inputSize)
const n = cells.labels.length
console.log(`${dir}: ${heldOut.length} held-out cells, ${other.length} objects of classes it does not have`)

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
  const scores = cal ? scoresOf(cal.score, out, n, C, data) : undefined
  return Array.from({ length: n }, (_, i) => {
    const p = out.probabilities.subarray(i * C, (i + 1) * C)
    let top = 0
    for (let k = 1; k < C; k++) if (p[k]! > p[top]!) top = k
    const routed = scores ? scores[i]! > cal!.threshold : false
    const unsure = p[top]! < confidenceCut
    return { top, routed, unsure, group: routed || unsure ? -1 : top }
  })
}
const f = await run('float')
const q = await run('integer')
const cf = calls(f.out)
const cq = calls(q.out)
const share = (pred: (i: number) => boolean, of: number[]) => `${of.filter(pred).length}/${of.length}`
const held = Array.from({ length: heldOut.length }, (_, i) => i)
const obj = Array.from({ length: other.length }, (_, i) => heldOut.length + i)
const all = [...held, ...obj]
let maxDp = 0
for (let i = 0; i < f.out.probabilities.length; i++) maxDp = Math.max(maxDp, Math.abs(f.out.probabilities[i]! - q.out.probabilities[i]!))
console.log(`CPU per cell: float ${f.cpuMsPerCell.toFixed(2)} ms, integer dense ${q.cpuMsPerCell.toFixed(2)} ms`)
console.log(`held-out accuracy: float ${share((i) => cf[i]!.top === cells.labels[i], held)}, integer ${share((i) => cq[i]!.top === cells.labels[i], held)}`)
console.log(
  `same top class: ${share((i) => cf[i]!.top === cq[i]!.top, all)}; same routing (${cal?.score ?? 'none'}): ${share((i) => cf[i]!.routed === cq[i]!.routed, all)}; same confidence cut (${confidenceCut}): ${share((i) => cf[i]!.unsure === cq[i]!.unsure, all)}; same group: held-out ${share((i) => cf[i]!.group === cq[i]!.group, held)}, objects ${share((i) => cf[i]!.group === cq[i]!.group, obj)}`
)
console.log(`largest probability difference ${maxDp.toFixed(4)}`)
model.dispose()
