// Evaluating a model on a class-folder tree (one subfolder per WBC class, as
// the shared datasets are laid out): accuracy, macro F1, per-class precision /
// recall / F1 / n, the confusion matrix and one-vs-rest AUCs. Reads the files
// directly (the store is not touched unless the model is a stored one).
// From 32 cells on, the forward passes run on ONNX Runtime (one intra-op
// thread per core) where the model converts, as the workstation classifies;
// the report's `backend` says which engine ran.
import type { Db } from '../../store/db'
import { classificationReport, oneVsRestCurves, type ConfusionMatrix } from '../../stats/metrics'
import type { ProgressListener } from '../../../shared/progress'
import { activeBackend } from '../model/tfjs-backend'
import type { Classifier, ClassifierOutput } from './classifier'
import { defaultInferenceWorkers } from './inference-pool'
import { OnnxClassifier, tryOnnxGraph } from './onnx-runtime'
import { listClassFolders, loadCells } from '../data/cell-set'
import type { InputNormalisation } from '../data/input-normalisation'
import { loadClassifierFromPath, loadStoredClassifier, parseModelRef, resolveStoredModel, shippedModelPath } from '../model/registry'

export interface EvaluateOptions {
  /** A model folder / model.json, or a stored model id or name (needs `db`); default: the shipped model. */
  model?: string
  db?: Db
  batchSize?: number
  /** Only the first n files per class (quick checks). */
  limitPerClass?: number
  /** Only these files, as class/file relative to the tree (a model card's held-out list: its first CSV column). */
  only?: ReadonlySet<string>
  signal?: AbortSignal
  onProgress?: ProgressListener
}

export interface EvaluationReport {
  path: string
  model: { source: string; architecture: string; inputSize: number; classes: string[]; inputNormalisation: InputNormalisation }
  backend: string
  n: number
  accuracy: number
  macroF1: number
  macroPrecision: number
  macroRecall: number
  perClass: Record<string, { precision: number; recall: number; f1: number; n: number; rocAuc: number | null; prAuc: number | null }>
  /** Rows: true class, columns: predicted, in `classes` order. */
  confusion: ConfusionMatrix
  classes: string[]
  macroRocAuc: number | null
  seconds: { preprocess: number; inference: number }
}

async function classifierFor(o: EvaluateOptions): Promise<{ clf: Classifier; source: string }> {
  const ref = parseModelRef(o.model)
  if (ref.kind === 'path') return { clf: await loadClassifierFromPath(ref.path), source: ref.path }
  if (ref.kind === 'default') {
    const shipped = shippedModelPath()
    if (!shipped) throw new Error('no shipped model in resources/models; pass --model')
    return { clf: await loadClassifierFromPath(shipped), source: shipped }
  }
  if (!o.db) throw new Error(`model "${o.model}" is not a folder or model.json; a stored model needs the database`)
  const id = await resolveStoredModel(o.db, o.model)
  return { clf: await loadStoredClassifier(o.db, id), source: `stored model ${id}` }
}

export async function evaluateFolder(path: string, o: EvaluateOptions = {}): Promise<EvaluationReport> {
  const { clf, source } = await classifierFor(o)
  const classes = clf.classes
  let files = await listClassFolders(path, classes)
  if (o.only) files = files.filter((f) => o.only!.has(f.relative))
  if (o.limitPerClass !== undefined) {
    const seen = new Map<number, number>()
    files = files.filter((f) => {
      const k = seen.get(f.label) ?? 0
      seen.set(f.label, k + 1)
      return k < o.limitPerClass!
    })
  }
  if (!files.length) throw new Error(`no images under ${path} in class folders named ${classes.join(', ')}`)
  const t0 = performance.now()
  const cells = await loadCells(files, clf.inputSize, {
    classes,
    onFile: (done, total) => {
      if (done % 100 === 0 || done === total) o.onProgress?.({ task: 'preprocess', done, total, unit: 'image' })
    }
  })
  if (o.signal?.aborted) throw new Error('evaluation cancelled')
  const t1 = performance.now()
  const graph = files.length >= 32 ? tryOnnxGraph(clf.model).graph : undefined
  let out: ClassifierOutput
  let engine = activeBackend()?.name ?? 'unknown'
  if (graph) {
    const onnx = await OnnxClassifier.fromGraph(graph, clf.meta, { threads: defaultInferenceWorkers() })
    try {
      out = await onnx.predict(cells.pixels, { batchSize: o.batchSize ?? 64 })
    } finally {
      onnx.dispose()
    }
    engine = onnx.engine
  } else {
    out = clf.predict(cells.pixels, { batchSize: o.batchSize ?? 64 })
  }
  const t2 = performance.now()
  const C = classes.length
  const truth: string[] = []
  const predicted: string[] = []
  const probs: number[][] = []
  for (let i = 0; i < files.length; i++) {
    const row = Array.from(out.probabilities.subarray(i * C, (i + 1) * C))
    truth.push(classes[cells.labels[i]])
    predicted.push(classes[row.indexOf(Math.max(...row))])
    probs.push(row)
  }
  const report = classificationReport(truth, predicted, classes)
  const curves = oneVsRestCurves(truth, probs, classes)
  const perClass: EvaluationReport['perClass'] = {}
  report.perClass.forEach((m, c) => {
    perClass[m.label] = { precision: m.precision, recall: m.recall, f1: m.f1, n: m.support, rocAuc: curves.perClass[c].rocAuc, prAuc: curves.perClass[c].averagePrecision }
  })
  return {
    path,
    model: { source, architecture: clf.meta.architecture, inputSize: clf.inputSize, classes: [...classes], inputNormalisation: clf.inputNormalisation },
    backend: engine,
    n: report.total,
    accuracy: report.accuracy,
    macroF1: report.macro.f1,
    macroPrecision: report.macro.precision,
    macroRecall: report.macro.recall,
    perClass,
    confusion: report.confusion,
    classes: [...classes],
    macroRocAuc: curves.macroRocAuc,
    seconds: { preprocess: (t1 - t0) / 1000, inference: (t2 - t1) / 1000 }
  }
}

export function formatEvaluation(r: EvaluationReport): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`
  const lines = [
    `${r.path}: ${r.n} cells, model ${r.model.source} (${r.model.architecture} ${r.model.inputSize}px, input colour normalisation ${r.model.inputNormalisation}), backend ${r.backend}`,
    `accuracy ${pct(r.accuracy)}, macro F1 ${pct(r.macroF1)}`,
    `${'class'.padEnd(12)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'n'.padStart(7)}`
  ]
  for (const c of r.classes) {
    const m = r.perClass[c]
    lines.push(`${c.padEnd(12)}${pct(m.precision).padStart(10)}${pct(m.recall).padStart(10)}${pct(m.f1).padStart(10)}${String(m.n).padStart(7)}`)
  }
  lines.push('Confusion (rows true, columns predicted): ' + r.classes.map((c) => c.slice(0, 4)).join(' '))
  r.confusion.forEach((row, i) => lines.push(`  ${r.classes[i].padEnd(12)}${row.map((v) => String(v).padStart(6)).join('')}`))
  return lines.join('\n')
}
