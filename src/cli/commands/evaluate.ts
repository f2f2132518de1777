// `wbc evaluate PATH`: a model's accuracy, macro F1, per-class precision /
// recall / F1 / n and confusion matrix on a class-folder tree. Without
// --model it evaluates the shipped default model (resources/models).
import { evaluateFolder, formatEvaluation } from '../../main/ml/infer/evaluate-folder'
import { parseModelRef } from '../../main/ml/model/registry'
import { initBackend } from '../../main/ml/model/tfjs-backend'
import type { CliCommand } from '../context'

export const evaluateCommand: CliCommand = (cli) => {
  cli.program
    .command('evaluate')
    .description('evaluate a model on a class-folder tree (one subfolder per class of the model: the five WBC types, and ig/, erythroblast/, platelet/ for the eight-class model)')
    .argument('<path>', 'folder with a subfolder per class of the model (neutrophil/, eosinophil/, ... as the model names them)')
    .option('--model <model>', 'model folder or model.json, or a stored model id / name (default: the shipped model)')
    .option('--limit <n>', 'only the first n images per class', (v) => parseInt(v, 10))
    .option('--batch <n>', 'cells per forward pass', (v) => parseInt(v, 10), 64)
    .option('--json', 'print the report as JSON')
    .action(async (path: string, o: { model?: string; limit?: number; batch: number; json?: boolean }) => {
      const ref = parseModelRef(o.model)
      // The database is only opened for a stored model.
      const db = ref.kind === 'stored' || ref.kind === 'name' ? cli.openDb() : undefined
      const backend = await initBackend()
      if (!o.json) cli.err(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}`)
      const bar = o.json ? undefined : cli.progress()
      const report = await evaluateFolder(path, { model: o.model, db, limitPerClass: o.limit, batchSize: o.batch, onProgress: bar?.update }).finally(() => bar?.stop())
      if (o.json) cli.json(report)
      else cli.out(formatEvaluation(report))
    })
}
