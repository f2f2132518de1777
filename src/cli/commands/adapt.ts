// `wbc adapt`: adapt a model to this site's labelled cells (the
// site-adaptation service): fine-tune with the measured recipe, a stratified
// part of the cells held out, and print accuracy before / after on those
// cells and on PBC reference cells. The adapted model is stored, and becomes
// the default only with --set-default. Resumable: the same command again
// continues an interrupted run.
import { adaptModelToSite } from '../../main/services/site-adaptation'
import { formatAdaptReport } from '../../main/ml/train/site-adaptation'
import { INPUT_NORMALISATIONS, isInputNormalisation } from '../../main/ml/data/input-normalisation'
import type { CliCommand } from '../context'
import { perTaskBar, withInterrupt } from '../ml-options'

interface Flags {
  dataset: string
  from?: string
  modelName?: string
  setDefault?: boolean
  epochs?: number
  lr?: number
  inputNormalisation?: string
  signedOnly?: boolean
  workers?: number
  json?: boolean
}

export const adaptCommand: CliCommand = (cli) => {
  cli.program
    .command('adapt')
    .description("adapt a model to this site: fine-tune it on a dataset's labelled cells and report before / after on held-out site cells and on PBC reference cells")
    .requiredOption('--dataset <name>', "the site's labelled cells (reviewed or imported labels)")
    .option('--from <model>', 'the model to adapt: stored id or name, or a model folder (default: the default model)')
    .option('--model-name <name>', 'name of the adapted model')
    .option('--set-default', 'make the adapted model the default when it is done')
    .option('--epochs <n>', "epochs instead of the recipe's", (v) => parseInt(v, 10))
    .option('--lr <rate>', "learning rate instead of the recipe's", Number)
    .option('--input-normalisation <how>', `input colour normalisation the adapted model trains on and carries: ${INPUT_NORMALISATIONS.join(' or ')} (default: the recipe's, grey-world)`)
    .option('--signed-only', 'learn only from cells of signed slides (labels a verifier signed for), not from unsigned work or imported sets')
    .option('--workers <n>', 'training worker threads (default 2)', (v) => parseInt(v, 10))
    .option('--json', 'print the result as JSON')
    .action(async (f: Flags) => {
      const inputNormalisation = f.inputNormalisation
      if (inputNormalisation !== undefined && !isInputNormalisation(inputNormalisation)) throw new Error(`--input-normalisation must be ${INPUT_NORMALISATIONS.join(' or ')}`)
      const db = cli.openDb()
      const bar = perTaskBar(f.json ? undefined : cli.progress())
      const { report, result } = await withInterrupt((signal) =>
        adaptModelToSite(db, {
          dataset: f.dataset,
          from: f.from,
          modelName: f.modelName,
          setDefault: f.setDefault === true,
          epochs: f.epochs,
          learningRate: f.lr,
          inputNormalisation,
          signedSlidesOnly: f.signedOnly === true,
          workers: f.workers,
          signal,
          onProgress: (p) => bar?.update(p),
          onRun: (id, resumed) => {
            if (!f.json) cli.err(resumed ? `resuming run ${id}` : `run ${id}`)
          }
        })
      ).finally(() => bar?.stop())
      if (f.json) cli.json(result)
      else cli.out(formatAdaptReport(report))
      if (report.status !== 'done') {
        cli.err('cancelled; run `wbc adapt` again with the same options to resume')
        cli.exitCode = 130
      }
    })
}
