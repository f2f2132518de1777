// `wbc finetune`: transfer learning on a second dataset. Cross-validates the
// base model's architecture from scratch and fine-tuned from the base model
// (all layers and/or the dense head) on the same folds, side by side.
// Resumable like `wbc crossval`.
import { formatTransferReport, transferExperiment } from '../../main/ml/train/transfer'
import type { FineTuneMode } from '../../main/ml/train/cross-validation'
import type { CliCommand } from '../context'
import { addTrainingOptions, backendOf, parseIds, runTraining, settingsOf, type TrainingFlags } from '../ml-options'

interface Flags extends TrainingFlags {
  model: string
  dataset?: string
  images?: number[]
  mode: string
  k: number
  ftLr?: number
  ftEpochs?: number
}

export const finetuneCommand: CliCommand = (cli) => {
  addTrainingOptions(
    cli.program
      .command('finetune')
      .description('fine-tune a saved model on another dataset and compare with training from scratch on the same folds')
      .requiredOption('--model <model>', 'the pre-trained model: stored id or name, or a model folder')
      .option('--dataset <name>', 'dataset of labelled cells to transfer to')
      .option('--images <ids>', 'comma-separated image ids', parseIds)
      .option('--mode <mode>', 'all (every layer), head (dense layers only) or both', 'both')
      .option('--k <n>', 'folds', (v) => parseInt(v, 10), 5)
      .option('--ft-lr <rate>', 'learning rate of the fine-tuned runs (default: --lr)', Number)
      .option('--ft-epochs <n>', 'epochs of the fine-tuned runs (default: --epochs)', (v) => parseInt(v, 10))
  ).action(async (f: Flags) => {
    if (f.dataset === undefined && f.images === undefined) throw new Error('give --dataset or --images')
    const modes: FineTuneMode[] = f.mode === 'both' ? ['all', 'head'] : f.mode === 'all' || f.mode === 'head' ? [f.mode] : []
    if (!modes.length) throw new Error('--mode is all, head or both')
    const report = await runTraining(cli, f, ({ db, signal, bar }) =>
      transferExperiment(db, {
        baseModel: f.model,
        dataset: f.dataset,
        imageIds: f.images,
        modes,
        k: f.k,
        seed: f.seed,
        settings: settingsOf(f),
        fineTuneSettings: { ...(f.ftLr !== undefined ? { learningRate: f.ftLr } : {}), ...(f.ftEpochs !== undefined ? { epochs: f.ftEpochs } : {}) },
        workers: f.workers,
        backend: backendOf(f),
        signal,
        onProgress: (p) => bar?.update(p),
        onRun: (label, id, resumed) => {
          bar?.stop()
          if (!f.json) cli.err(`${label}: ${resumed ? 'resuming ' : ''}run ${id}`)
        }
      })
    )
    if (f.json) {
      const strip = (r: typeof report.scratch) => ({ ...r, curves: { macroRocAuc: r.curves.macroRocAuc, macroAveragePrecision: r.curves.macroAveragePrecision } })
      cli.json({ ...report, scratch: strip(report.scratch), fineTuned: report.fineTuned.map((x) => ({ mode: x.mode, report: strip(x.report) })) })
    } else cli.out(formatTransferReport(report))
    if (report.status !== 'done') {
      cli.err('cancelled; run `wbc finetune` again with the same options to resume')
      cli.exitCode = 130
    }
  })
}
