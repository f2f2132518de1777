// `wbc evaluate PATH`: a model's accuracy, macro F1, per-class precision /
// recall / F1 / n and confusion matrix on a class-folder tree. Without
// --model it evaluates the shipped default model (resources/models).
import { readFile } from 'node:fs/promises'
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
    .option('--list <csv>', 'only the files this CSV lists (first column class/file, a header line first: a model card\'s <name>-heldout.csv)')
    .option('--batch <n>', 'cells per forward pass', (v) => parseInt(v, 10), 64)
    .option('--json', 'print the report as JSON')
    .action(async (path: string, o: { model?: string; limit?: number; list?: string; batch: number; json?: boolean }) => {
      const ref = parseModelRef(o.model)
      // The database is only opened for a stored model.
      const db = ref.kind === 'stored' || ref.kind === 'name' ? cli.openDb() : undefined
      const backend = await initBackend()
      if (!o.json) cli.err(`backend: ${backend.name}${backend.simd ? ' (SIMD)' : ''}`)
      const bar = o.json ? undefined : cli.progress()
      const only = o.list ? new Set((await readFile(o.list, 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0].trim()).filter(Boolean)) : undefined
      const report = await evaluateFolder(path, { model: o.model, db, limitPerClass: o.limit, only, batchSize: o.batch, onProgress: bar?.update }).finally(() => bar?.stop())
      if (o.json) cli.json(report)
      else cli.out(formatEvaluation(report))
    })
}
