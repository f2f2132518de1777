// `wbc classify`: classify a slide, a dataset or some images with a model and
// store the predictions (five probabilities, top class, confidence, model).
// A slide goes through the slides service, so it follows the Review screen's
// rules (a signed slide is refused, an imported one becomes 'classified') and
// its counts are the slide's differential groups, as `wbc slide show` prints.
import { classifyCells, UNIDENTIFIED, type ClassifyResult } from '../../main/ml/infer/classify-cells'
import { classifySlide, findSlide } from '../../main/services/slides'
import { initBackend } from '../../main/ml/model/tfjs-backend'
import type { CliCommand } from '../context'
import { parseIds, withInterrupt } from '../ml-options'

export const classifyCommand: CliCommand = (cli) => {
  cli.program
    .command('classify')
    .description('classify cells (a slide, a dataset or image ids) and store the predictions')
    .option('--slide <sampleId>', 'the cells of one slide (sample id)')
    .option('--dataset <name>', 'the cells of a dataset')
    .option('--images <ids>', 'comma-separated image ids', parseIds)
    .option('--model <model>', 'stored model id or name, or a model folder (default: the default model)')
    .option('--batch <n>', 'cells per forward pass', (v) => parseInt(v, 10), 64)
    .option('--no-store', 'do not store the predictions')
    .option('--json', 'print every prediction as JSON')
    .action(async (o: { slide?: string; dataset?: string; images?: number[]; model?: string; batch: number; store: boolean; json?: boolean }) => {
      if (o.slide === undefined && o.dataset === undefined && o.images === undefined) throw new Error('give --slide, --dataset or --images')
      const db = cli.openDb()
      await initBackend()
      const bar = o.json ? undefined : cli.progress()
      const common = { model: o.model, batchSize: o.batch, store: o.store }
      let r: ClassifyResult
      let counts: Record<string, number>
      if (o.slide !== undefined) {
        const slideId = findSlide(db, o.slide).id
        const c = await withInterrupt((signal) => classifySlide(db, slideId, { ...common, signal, onProgress: bar?.update })).finally(() => bar?.stop())
        r = c.result
        counts = c.counts()
      } else {
        r = await withInterrupt((signal) => classifyCells(db, { dataset: o.dataset, imageIds: o.images, ...common, signal, onProgress: bar?.update })).finally(() => bar?.stop())
        counts = r.counts
      }
      // A slide's counts are its differential groups, in JSON too.
      if (o.json) return cli.json({ ...r, counts })
      cli.out(`${r.cells} cells classified with model ${r.modelId} on ${r.backend}: ${r.seconds.inference.toFixed(3)} s inference (${r.cellsPerSecond.toFixed(0)} cells/s), ${r.seconds.total.toFixed(3)} s in all${o.store ? '; predictions stored' : ''}`)
      if (r.onnxSkipped) cli.out(`(ONNX Runtime not used: ${r.onnxSkipped})`)
      const keys = Object.keys(counts).sort((a, b) => (a === UNIDENTIFIED ? 1 : b === UNIDENTIFIED ? -1 : a.localeCompare(b)))
      for (const k of keys) cli.out(`  ${k.padEnd(13)} ${String(counts[k]).padStart(6)}  ${((counts[k]! / Math.max(1, r.cells)) * 100).toFixed(1)}%`)
    })
}
