// `wbc train`: train one model on a dataset's labelled cells and store it
// (resumes an unfinished run with the same settings).
import { trainRun, type TrainRunReport } from '../../main/ml/train/training-run'
import type { CliCommand } from '../context'
import { addTrainingOptions, architectureOf, backendOf, parseIds, runTraining, settingsOf, type TrainingFlags } from '../ml-options'

interface Flags extends TrainingFlags {
  dataset?: string
  images?: number[]
  validation: number
  modelName?: string
  default?: boolean
  quantize?: string
  name?: string
}

export const trainCommand: CliCommand = (cli) => {
  addTrainingOptions(
    cli.program
      .command('train')
      .description('train a model on labelled cells and store it (resumes an unfinished run with the same settings)')
      .option('--dataset <name>', 'dataset of labelled cells')
      .option('--images <ids>', 'comma-separated image ids', parseIds)
      .option('--validation <share>', 'share of cells held out (stratified) and scored every epoch', Number, 0)
      .option('--model-name <name>', 'name of the stored model')
      .option('--default', 'make the trained model the default one')
      .option('--quantize <kind>', 'store the model quantised: uint8 or float16 (default float32)')
      .option('--name <text>', 'a name for the run')
  ).action(async (f: Flags) => {
    if (f.dataset === undefined && f.images === undefined) throw new Error('give --dataset or --images')
    if (f.quantize !== undefined && f.quantize !== 'uint8' && f.quantize !== 'float16') throw new Error('--quantize is uint8 or float16')
    const report = await runTraining(cli, f, ({ db, signal, bar, announceRun }) =>
      trainRun(db, {
        dataset: f.dataset,
        imageIds: f.images,
        architecture: architectureOf(f),
        inputSize: f.size,
        seed: f.seed,
        settings: settingsOf(f),
        validationShare: f.validation,
        workers: f.workers,
        backend: backendOf(f),
        modelName: f.modelName,
        setDefault: f.default,
        quantization: f.quantize as 'uint8' | 'float16' | undefined,
        fresh: f.fresh,
        name: f.name,
        signal,
        onProgress: bar?.update,
        onRun: announceRun
      })
    )
    if (f.json) cli.json(report)
    else cli.out(formatTrainReport(report))
    if (report.status === 'cancelled') {
      cli.err('cancelled; run `wbc train` again with the same options to resume')
      cli.exitCode = 130
    }
  })
}

export function formatTrainReport(r: TrainRunReport): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`
  const lines = [
    `Training run ${r.runId} (${r.status}): ${r.architecture} at ${r.inputSize} px, ${r.trainCells} training cells, ${r.validationCells} held out, backend ${r.backend ?? '?'}`,
    `Settings: ${r.settings.epochs} epochs, batch ${r.settings.batchSize}, lr ${r.settings.learningRate}, ${r.settings.schedule.kind}, balance ${r.settings.balance}, augment ${r.settings.augment ? 'on' : 'off'}, seed ${r.seed}`
  ]
  if (r.resumedFromEpoch) lines.push(`Resumed after epoch ${r.resumedFromEpoch}.`)
  lines.push(`${'epoch'.padEnd(7)}${'loss'.padStart(8)}${'train acc'.padStart(11)}${'val acc'.padStart(10)}${'val F1'.padStart(9)}${'img/s'.padStart(8)}`)
  for (const e of r.history) {
    lines.push(
      `${String(e.epoch).padEnd(7)}${e.trainLoss.toFixed(4).padStart(8)}${pct(e.trainAccuracy).padStart(11)}${(e.validation ? pct(e.validation.accuracy) : '-').padStart(10)}${(e.validation ? pct(e.validation.macro.f1) : '-').padStart(9)}${e.imagesPerSecond.toFixed(1).padStart(8)}`
    )
  }
  if (r.validation) {
    lines.push('Held-out cells, last epoch (per-class recall / precision / n):')
    for (const m of r.validation.perClass) lines.push(`  ${m.label.padEnd(12)} ${pct(m.recall).padStart(7)} ${pct(m.precision).padStart(7)} ${String(m.support).padStart(5)}`)
  }
  if (r.modelId !== null) lines.push(`Stored as model ${r.modelId}.`)
  return lines.join('\n')
}
