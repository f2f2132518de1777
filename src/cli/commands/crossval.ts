// `wbc crossval`: stratified k-fold cross-validation of a dataset, printed as
// the paper's Table 10 plus overall figures. Killed and run again with the
// same settings, it resumes (finished folds are not redone).
import { crossValidate, formatCrossvalReport } from '../../main/ml/train/cross-validation'
import type { CliCommand } from '../context'
import { addTrainingOptions, architectureOf, backendOf, parseIds, runTraining, settingsOf, type TrainingFlags } from '../ml-options'

interface Flags extends TrainingFlags {
  dataset?: string
  images?: number[]
  k: number
  foldPlan?: string
  run?: number
  validate: boolean
  keepModels: boolean
  name?: string
}

export const crossvalCommand: CliCommand = (cli) => {
  addTrainingOptions(
    cli.program
      .command('crossval')
      .description('stratified k-fold cross-validation: one model per fold, Table-10 report (resumes an unfinished run with the same settings)')
      .option('--dataset <name>', 'dataset of labelled cells')
      .option('--images <ids>', 'comma-separated image ids', parseIds)
      .option('--k <n>', 'folds', (v) => parseInt(v, 10), 10)
      .option('--fold-plan <name>', 'reuse a stored fold plan')
      .option('--run <id>', 'resume this run', (v) => parseInt(v, 10))
      .option('--no-validate', 'do not score the test fold after every epoch')
      .option('--no-keep-models', 'do not store each fold\'s model')
      .option('--name <text>', 'a name for the run')
  ).action(async (f: Flags) => {
    if (f.dataset === undefined && f.images === undefined && f.run === undefined && f.foldPlan === undefined) {
      throw new Error('give --dataset, --images, --fold-plan or --run')
    }
    const report = await runTraining(cli, f, ({ db, signal, bar, announceRun }) =>
      crossValidate(db, {
        dataset: f.dataset,
        imageIds: f.images,
        architecture: architectureOf(f),
        inputSize: f.size,
        k: f.k,
        seed: f.seed,
        foldPlan: f.foldPlan,
        settings: settingsOf(f),
        workers: f.workers,
        backend: backendOf(f),
        validateEachEpoch: f.validate,
        keepFoldModels: f.keepModels,
        runId: f.run,
        fresh: f.fresh,
        name: f.name,
        signal,
        onProgress: bar?.update,
        onRun: announceRun
      })
    )
    if (f.json) {
      // Curves can be long; they stay in the run record (wbc runs show ID --json).
      const { curves, ...rest } = report
      cli.json({ ...rest, curves: { macroRocAuc: curves.macroRocAuc, macroAveragePrecision: curves.macroAveragePrecision, perClass: curves.perClass.map((c) => ({ label: c.label, rocAuc: c.rocAuc, averagePrecision: c.averagePrecision, rocPoints: c.roc.length, prPoints: c.pr.length })) } })
    } else cli.out(formatCrossvalReport(report))
    if (report.status === 'cancelled') {
      cli.err(`cancelled; run \`wbc crossval\` again with the same options (or --run ${report.runId}) to resume`)
      cli.exitCode = 130
    }
  })
}
