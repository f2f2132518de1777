#!/usr/bin/env -S npx tsx
// The site-adaptation recipe search (docs/ml-results.md, "Site adaptation"):
// chula-wbc's 343 cells in k stratified folds (seed 1); per fold, a W-Net is
// trained on the other folds from scratch, or fine-tuned from a PBC base
// model, with or without stain/blur/scale jitter, PBC replay (40 cells per
// class from PBC training cells) and grey-world colour normalisation, and
// scored on the fold's Chula cells and on the 862 PBC cells the shipped model
// holds out (the forgetting check). The base models are trained here at the
// same size on the other 4,878 PBC cells.
//
//   npx tsx scripts/bench-site-adaptation.ts --size 32 --k 3 --out DIR --arms scratch,ft,ft-aug-replay
//   npx tsx scripts/bench-site-adaptation.ts --size 32 --k 3 --out DIR --report   (the table of finished results)
//   npx tsx scripts/bench-site-adaptation.ts --zero-shot --out DIR      (the shipped 128 px model, with and without colour normalisation)
//
// Resumable: every (arm, fold) result is a JSON file in DIR/s<size>-k<k>/,
// every training checkpoints each epoch there; run the same command again.
// Datasets: $WBC_DATASETS (pbc-wbc/, chula-wbc/).
import { readFile, writeFile, mkdir, access } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initBackend, tf } from '../src/main/ml/model/tfjs-backend'
import { listClassFolders, loadCells, fillBatch } from '../src/main/ml/data/cell-set'
import { train, modelFromWeights } from '../src/main/ml/train/trainer'
import { stratifiedKFold } from '../src/main/stats/folds'
import { headOnlyFrozen } from '../src/main/ml/train/cross-validation'
import { reportFromConfusion } from '../src/main/stats/metrics'
import { readModelDir, artifactsToModel } from '../src/main/ml/model/model-files'
import { datasetsDir } from '../src/main/paths'
import type { ModelSpec } from '../src/main/ml/model/architectures/index'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d }
const S = Number(arg('size', '32'))
const K = Number(arg('k', '3'))
const DS = datasetsDir(ROOT)
if (!DS) throw new Error('set WBC_DATASETS to the folder holding pbc-wbc/ and chula-wbc/')
const WORK = arg('out', '')
if (!WORK) throw new Error('--out DIR: where results and checkpoints go')
const OUT = join(WORK, `s${S}-k${K}`)
await mkdir(OUT, { recursive: true })
const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
await initBackend('auto')
const exists = (p: string) => access(p).then(() => true, () => false)
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 19), ...a)

// --- report: the finished (arm, fold) results as markdown (pooled accuracy, fold mean ± sd, per-class recall, PBC check)
if (process.argv.includes('--report')) {
  const { readdir } = await import('node:fs/promises')
  const dir = join(WORK, `s${S}-k${K}`)
  const files = (await readdir(dir)).filter((f) => /^arm-.*-fold\d+\.json$/.test(f))
  type R = { arm: string; fold: number; seconds: number; site: { accuracy: number; confusion: number[][] }; pbcCheck: { accuracy: number }; siteBefore: { accuracy: number } | null }
  const byArm = new Map<string, R[]>()
  for (const f of files) {
    const r = JSON.parse(await readFile(join(dir, f), 'utf8')) as R
    byArm.set(r.arm, [...(byArm.get(r.arm) ?? []), r])
  }
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`
  const ms = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length
    const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0
    return `${(m * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}%`
  }
  console.log(`| arm (${S} px, ${K} folds) | folds | Chula accuracy (pooled) | fold mean ± sd | recall N / E / B / L / M | PBC held-out (fold mean ± sd) | Chula before (zero-shot) | minutes |`)
  console.log('|---|---|---|---|---|---|---|---|')
  for (const [arm, rs] of [...byArm].sort()) {
    const conf = CLASSES.map((_, i) => CLASSES.map((__, j) => rs.reduce((a, r) => a + r.site.confusion[i][j], 0)))
    const total = conf.flat().reduce((a, b) => a + b, 0)
    const right = conf.reduce((a, row, i) => a + row[i], 0)
    const recall = conf.map((row, i) => pct(row[i] / Math.max(1, row.reduce((a, b) => a + b, 0))))
    const before = rs.every((r) => r.siteBefore) ? ms(rs.map((r) => r.siteBefore!.accuracy)) : '-'
    console.log(`| ${arm} | ${rs.length}/${K} | ${pct(right / total)} | ${ms(rs.map((r) => r.site.accuracy))} | ${recall.join(' / ')} | ${ms(rs.map((r) => r.pbcCheck.accuracy))} | ${before} | ${(rs.reduce((a, r) => a + r.seconds, 0) / 60).toFixed(1)} |`)
  }
  process.exit(0)
}

// --- zero-shot: the shipped 128 px model on chula-wbc, inputs normalised to PBC's colour statistics or not
if (process.argv.includes('--zero-shot')) {
  const Z = 128
  const per = Z * Z * 3
  const heldZ = new Set((await readFile(join(ROOT, 'resources/models/wnet-pbc-heldout.csv'), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean))
  const all = await listClassFolders(join(DS, 'pbc-wbc'), CLASSES)
  // The target colour statistics come from every 10th PBC training cell, never from the held-out cells.
  const statFiles = all.filter((f) => !heldZ.has(f.relative)).filter((_, i) => i % 10 === 0)
  const chulaZ = await loadCells(await listClassFolders(join(DS, 'chula-wbc'), CLASSES), Z, { classes: CLASSES })
  const pbcZ = await loadCells(all.filter((f) => heldZ.has(f.relative)), Z, { classes: CLASSES })
  const ref = await loadCells(statFiles, Z, { classes: CLASSES })
  const stats = (px: Uint8Array) => {
    const out: number[][] = []
    for (let o = 0; o < px.length; o += per) {
      const r: number[] = []
      for (let c = 0; c < 3; c++) {
        let s = 0, q = 0
        for (let p = o + c; p < o + per; p += 3) { s += px[p]; q += px[p] * px[p] }
        const n = per / 3, m = s / n
        r.push(m, Math.sqrt(Math.max(1, q / n - m * m)))
      }
      out.push(r)
    }
    return out
  }
  const rs = stats(ref.pixels)
  const target = [0, 1, 2, 3, 4, 5].map((k) => rs.reduce((a, r) => a + r[k], 0) / rs.length)
  // greyworld: each channel scaled to PBC's mean; reinhard: each channel's mean and deviation matched to PBC's (in RGB).
  const norm = (px: Uint8Array, mode: string) => {
    if (mode === 'none') return px
    const out = new Uint8Array(px.length), st = stats(px)
    for (let i = 0, o = 0; o < px.length; o += per, i++) for (let c = 0; c < 3; c++) {
      const m = st[i][2 * c], sd = st[i][2 * c + 1], tm = target[2 * c], tsd = target[2 * c + 1]
      for (let p = o + c; p < o + per; p += 3) out[p] = Math.max(0, Math.min(255, Math.round(mode === 'reinhard' ? tm + ((px[p] - m) * tsd) / sd : (px[p] * tm) / m)))
    }
    return out
  }
  const model = await artifactsToModel(await readModelDir(join(ROOT, 'resources/models/wnet-pbc')))
  const score = (px: Uint8Array, labels: Int32Array) => {
    const conf = CLASSES.map(() => new Array(5).fill(0))
    for (let b = 0; b < labels.length; b += 32) {
      const idx = Array.from({ length: Math.min(32, labels.length - b) }, (_, i) => b + i)
      const buf = fillBatch(px, Z, idx, new Float32Array(idx.length * per), { input: 'none' }) // px already normalised (or not) above
      const pred = tf.tidy(() => (model.predict(tf.tensor4d(buf, [idx.length, Z, Z, 3])) as tf.Tensor).argMax(-1).dataSync())
      idx.forEach((i, j) => conf[labels[i]][pred[j]]++)
    }
    return reportFromConfusion(conf, CLASSES)
  }
  const out: Record<string, unknown> = { target }
  for (const mode of ['none', 'greyworld', 'reinhard']) {
    const c = score(norm(chulaZ.pixels, mode), chulaZ.labels)
    const p = score(norm(pbcZ.pixels, mode), pbcZ.labels)
    out[mode] = { chula: { accuracy: c.accuracy, recall: c.perClass.map((x) => x.recall), confusion: c.confusion }, pbc: { accuracy: p.accuracy, recall: p.perClass.map((x) => x.recall) } }
    console.log(`${mode}: chula ${(c.accuracy * 100).toFixed(1)}% recall ${c.perClass.map((x) => (x.recall * 100).toFixed(0)).join('/')}; PBC held-out ${(p.accuracy * 100).toFixed(2)}%`)
  }
  await mkdir(WORK, { recursive: true })
  await writeFile(join(WORK, 'zeroshot-128.json'), JSON.stringify(out))
  process.exit(0)
}

// --- data
const heldCsv = await readFile(join(ROOT, 'resources/models/wnet-pbc-heldout.csv'), 'utf8')
const held = new Set(heldCsv.split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean))
const pbcFiles = await listClassFolders(join(DS, 'pbc-wbc'), CLASSES)
const pbcTrainFiles = pbcFiles.filter((f: any) => !held.has(f.relative))
const pbcCheckFiles = pbcFiles.filter((f: any) => held.has(f.relative))
const chulaFiles = await listClassFolders(join(DS, 'chula-wbc'), CLASSES)
log(`pbc train ${pbcTrainFiles.length}, pbc check ${pbcCheckFiles.length}, chula ${chulaFiles.length}; size ${S}`)

type Norm = 'none' | 'chan' | 'gw'
/** Per-cell colour normalisation on uint8: each channel to mean 128, sd 48 (grey-world + contrast). */
let GW_TARGET: number[] | null = null
/** Grey-world to PBC: each channel scaled so the cell's channel mean is PBC's average channel mean (PBC training cells). */
function greyWorld(px: Uint8Array): Uint8Array {
  const per = S * S * 3
  if (!GW_TARGET) {
    const sums = [0, 0, 0]; let n = 0
    for (let off = 0; off < nPT * per; off += per * 10) { for (let p = off; p < off + per; p += 3) { sums[0] += pbcAll.pixels[p]; sums[1] += pbcAll.pixels[p + 1]; sums[2] += pbcAll.pixels[p + 2] } n += per / 3 }
    GW_TARGET = sums.map((v) => v / n)
  }
  const out = new Uint8Array(px.length)
  for (let off = 0; off < px.length; off += per) for (let c = 0; c < 3; c++) {
    let s = 0; for (let p = off + c; p < off + per; p += 3) s += px[p]
    const f = GW_TARGET[c] / Math.max(1, s / (per / 3))
    for (let p = off + c; p < off + per; p += 3) out[p] = Math.min(255, Math.round(px[p] * f))
  }
  return out
}
function normalise(px: Uint8Array, norm: Norm): Uint8Array {
  if (norm === 'none') return px
  if (norm === 'gw') return greyWorld(px)
  const out = new Uint8Array(px.length)
  const per = S * S * 3
  for (let off = 0; off < px.length; off += per) {
    for (let c = 0; c < 3; c++) {
      let s = 0, q = 0
      for (let p = off + c; p < off + per; p += 3) { s += px[p]; q += px[p] * px[p] }
      const n = per / 3, m = s / n, sd = Math.max(1, Math.sqrt(Math.max(0, q / n - m * m)))
      for (let p = off + c; p < off + per; p += 3) out[p] = Math.max(0, Math.min(255, Math.round(128 + (48 * (px[p] - m)) / sd)))
    }
  }
  return out
}

async function cached(name: string, files: any[]) {
  const f = join(WORK, `pixels-${name}-${S}.bin`)
  if (await exists(f)) {
    const b = await readFile(f)
    const pixels = new Uint8Array(new SharedArrayBuffer(b.length)); pixels.set(b)
    return { pixels, labels: Int32Array.from(files.map((x: any) => x.label)), size: S, classes: CLASSES }
  }
  const set = await loadCells(files, S, { classes: CLASSES, shared: true })
  await writeFile(f, set.pixels)
  return set
}
const pbcAll = await cached('pbc', [...pbcTrainFiles, ...pbcCheckFiles])
const nPT = pbcTrainFiles.length
const chula = await cached('chula', chulaFiles)
log('loaded')

/** One cell set of PBC + Chula pixels (normalised), indices: pbc 0..P-1, chula P..P+C-1. */
function combined(norm: Norm) {
  const px = new Uint8Array(new SharedArrayBuffer(pbcAll.pixels.length + chula.pixels.length))
  px.set(normalise(pbcAll.pixels, norm), 0)
  px.set(normalise(chula.pixels, norm), pbcAll.pixels.length)
  const labels = new Int32Array(new SharedArrayBuffer((pbcAll.labels.length + chula.labels.length) * 4))
  labels.set(pbcAll.labels, 0)
  labels.set(chula.labels, pbcAll.labels.length)
  return { pixels: px, labels, size: S, classes: CLASSES }
}
const P = pbcAll.labels.length
const pbcTrainIdx = Array.from({ length: nPT }, (_, i) => i)
const pbcCheckIdx = Array.from({ length: P - nPT }, (_, i) => nPT + i)
const chulaIdx = Array.from({ length: chula.labels.length }, (_, i) => P + i)
const folds = stratifiedKFold(Array.from(chula.labels, (l: number) => CLASSES[l]), { k: K, seed: 1, ids: chulaFiles.map((f: any) => f.relative) })

function evaluate(spec: any, weights: Float32Array, set: any, idx: number[]) {
  const model = modelFromWeights(spec, weights)
  const conf = CLASSES.map(() => new Array(5).fill(0))
  const per = S * S * 3
  for (let b = 0; b < idx.length; b += 64) {
    const part = idx.slice(b, b + 64)
    const buf = fillBatch(set.pixels, S, part, new Float32Array(part.length * per), { input: 'none' }) // set.pixels already normalised by its arm
    const pred = tf.tidy(() => (model.predict(tf.tensor4d(buf, [part.length, S, S, 3])) as tf.Tensor).argMax(-1).dataSync())
    part.forEach((i, j) => conf[set.labels[i]][pred[j]]++)
  }
  model.dispose()
  return reportFromConfusion(conf, CLASSES)
}
const brief = (r: any) => ({ accuracy: r.accuracy, recall: r.perClass.map((c: any) => c.recall), confusion: r.confusion, total: r.total })
const spec: ModelSpec = { architecture: 'wnet', inputSize: S, numClasses: 5, seed: 1 }

// --- base models on PBC (train part), normalised or not, plain or site-augmented
const baseCfg: Record<string, { norm: Norm; site?: any }> = {
  plain: { norm: 'none' },
  robust: { norm: 'none', site: { stain: 0.1, blur: 1.5, scale: 0.2 } },
  chan: { norm: 'chan' },
  chanrobust: { norm: 'chan', site: { stain: 0.1, blur: 1.5, scale: 0.2 } }
}
const BASE_EPOCHS = Number(arg('base-epochs', '9'))
async function base(name: string): Promise<Float32Array> {
  const f = join(OUT, `base-${name}.bin`)
  if (await exists(f)) return new Float32Array((await readFile(f)).buffer.slice(0))
  const cfg = baseCfg[name]
  const set = combined(cfg.norm)
  const t0 = Date.now()
  const r = await train({
    spec, cells: set, trainIndices: pbcTrainIdx, epochs: BASE_EPOCHS, batchSize: 32, learningRate: 1e-3, schedule: { kind: 'cosine' },
    balance: 'sampler', augment: true, dropoutOff: { epochs: 1, lrFactor: 0.2 }, siteAugment: cfg.site, workers: 2,
    checkpointDir: join(OUT, `ckpt-base-${name}`),
    onEpoch: (e: any) => log(`base ${name} epoch ${e.epoch} loss ${e.trainLoss.toFixed(3)} acc ${e.trainAccuracy.toFixed(3)} ${e.imagesPerSecond.toFixed(0)} img/s`)
  })
  const check = evaluate(spec, r.weights, set, pbcCheckIdx)
  const zero = evaluate(spec, r.weights, set, chulaIdx)
  await writeFile(join(OUT, `base-${name}.json`), JSON.stringify({ name, cfg, epochs: BASE_EPOCHS, seconds: (Date.now() - t0) / 1000, pbcCheck: brief(check), chulaZeroShot: brief(zero) }))
  await writeFile(f, Buffer.from(r.weights.buffer))
  log(`base ${name}: PBC held-out ${(check.accuracy * 100).toFixed(1)}%, chula zero-shot ${(zero.accuracy * 100).toFixed(1)}%`)
  return r.weights
}

// --- arms
interface Arm { from: string | null; norm: Norm; lr: number; epochs: number; site?: any; replay?: number; head?: boolean; batch?: number }
const SITE = { stain: 0.1, blur: 1.5, scale: 0.2 }
const ARMS: Record<string, Arm> = {
  scratch: { from: null, norm: 'none', lr: 1e-3, epochs: 30 },
  ft: { from: 'plain', norm: 'none', lr: 1e-3, epochs: 30 },
  'ft-lr3e-4': { from: 'plain', norm: 'none', lr: 3e-4, epochs: 30 },
  'ft-aug': { from: 'plain', norm: 'none', lr: 1e-3, epochs: 30, site: SITE },
  'ft-replay': { from: 'plain', norm: 'none', lr: 1e-3, epochs: 30, replay: 40 },
  'ft-aug-replay': { from: 'plain', norm: 'none', lr: 1e-3, epochs: 30, site: SITE, replay: 40 },
  'ft-head': { from: 'plain', norm: 'none', lr: 1e-3, epochs: 30, head: true },
  'ft-robust-aug-replay': { from: 'robust', norm: 'none', lr: 1e-3, epochs: 30, site: SITE, replay: 40 },
  'ft-chan-aug-replay': { from: 'chan', norm: 'chan', lr: 1e-3, epochs: 30, site: SITE, replay: 40 },
  'ft-gw-aug-replay': { from: 'plain', norm: 'gw', lr: 1e-3, epochs: 30, site: SITE, replay: 40 },
  'ft-aug-replay-lr3e-4': { from: 'plain', norm: 'none', lr: 3e-4, epochs: 30, site: SITE, replay: 40 },
  'ft-gw': { from: 'plain', norm: 'gw', lr: 1e-3, epochs: 30 },
  'scratch-aug': { from: null, norm: 'none', lr: 1e-3, epochs: 30, site: SITE },
  'ft-aug-replay-60': { from: 'plain', norm: 'none', lr: 1e-3, epochs: 60, site: SITE, replay: 40 }
}

async function runArm(name: string) {
  const a = ARMS[name]
  const set = combined(a.norm)
  const init = a.from ? await base(a.from) : undefined
  for (let f = 0; f < K; f++) {
    const file = join(OUT, `arm-${name}-fold${f + 1}.json`)
    if (await exists(file)) continue
    const test = chulaIdx.filter((_, i) => folds[i] === f)
    let trainIdx = chulaIdx.filter((_, i) => folds[i] !== f)
    if (a.replay) {
      // Replay: a fixed sample of PBC training cells per class (seeded), never the check cells.
      const per: number[][] = CLASSES.map(() => [])
      for (const i of pbcTrainIdx) per[set.labels[i]].push(i)
      const pick = per.flatMap((l) => l.filter((_, j) => j % Math.floor(l.length / a.replay!) === 0).slice(0, a.replay))
      trainIdx = [...trainIdx, ...pick]
    }
    const t0 = Date.now()
    const r = await train({
      spec, cells: set, trainIndices: trainIdx, epochs: a.epochs, batchSize: a.batch ?? 8, learningRate: a.lr, schedule: { kind: 'cosine' },
      balance: 'sampler', augment: true, dropoutOff: { epochs: 1, lrFactor: 0.2 }, siteAugment: a.site, workers: 2,
      initialWeights: init, frozen: a.head ? headOnlyFrozen(spec) : undefined, seed: f + 1,
      checkpointDir: join(OUT, `ckpt-${name}-fold${f + 1}`)
    })
    const site = evaluate(spec, r.weights, set, test)
    const pbc = evaluate(spec, r.weights, set, pbcCheckIdx)
    const before = init ? evaluate(spec, init, set, test) : null
    const last = r.history[r.history.length - 1]
    await writeFile(file, JSON.stringify({ arm: name, cfg: a, fold: f + 1, seconds: (Date.now() - t0) / 1000, trainCells: trainIdx.length, testCells: test.length, trainAccuracyLast: last?.trainAccuracy, site: brief(site), pbcCheck: brief(pbc), siteBefore: before && brief(before) }))
    log(`${name} fold ${f + 1}: chula ${(site.accuracy * 100).toFixed(1)}% (before ${before ? (before.accuracy * 100).toFixed(1) : '-'}%), PBC ${(pbc.accuracy * 100).toFixed(1)}%, train acc ${last?.trainAccuracy?.toFixed(3)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
}

const bases = arg('bases', '').split(',').filter(Boolean)
for (const b of bases) await base(b)
for (const name of arg('arms', '').split(',').filter(Boolean)) await runArm(name)
log('done')
