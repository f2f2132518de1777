// `wbc classify`: classify a slide, a dataset or some images with a model and
// store the predictions (five probabilities, top class, confidence, model).
import { classifyCells, UNIDENTIFIED } from '../../main/ml/inference'
import { getSlideBySampleId } from '../../main/store/slides'
import { initBackend } from '../../main/ml/backend'
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
      let slideId: number | undefined
      if (o.slide !== undefined) {
        const s = getSlideBySampleId(db, o.slide)
        if (!s) throw new Error(`no slide with sample id ${o.slide}`)
        slideId = s.id
      }
      await initBackend()
      const bar = o.json ? undefined : cli.progress()
      const r = await withInterrupt((signal) =>
        classifyCells(db, { slideId, dataset: o.dataset, imageIds: o.images, model: o.model, batchSize: o.batch, store: o.store, signal, onProgress: bar?.update })
      ).finally(() => bar?.stop())
      if (o.json) return cli.json(r)
      cli.out(`${r.cells} cells classified with model ${r.modelId} on ${r.backend}: ${r.seconds.inference.toFixed(3)} s inference (${r.cellsPerSecond.toFixed(0)} cells/s), ${r.seconds.total.toFixed(3)} s in all${o.store ? '; predictions stored' : ''}`)
      if (r.onnxSkipped) cli.out(`(ONNX Runtime not used: ${r.onnxSkipped})`)
      const keys = Object.keys(r.counts).sort((a, b) => (a === UNIDENTIFIED ? 1 : b === UNIDENTIFIED ? -1 : a.localeCompare(b)))
      for (const k of keys) cli.out(`  ${k.padEnd(13)} ${String(r.counts[k]).padStart(6)}  ${((r.counts[k] / Math.max(1, r.cells)) * 100).toFixed(1)}%`)
    })
}
