// `wbc runs`: list training / cross-validation / fine-tuning / evaluation runs,
// or show one with its folds, epochs and report: the runs service's report,
// the one the Models screen shows (`--json` prints it, with the checkpoints);
// the list is the screen's list too (runs.list).
import { getRun, runImages, listRunCheckpoints } from '../../main/store/runs'
import { runList, runReport } from '../../main/services/runs'
import { summarizeRun } from '../../main/stats/run-summary'
import { transferComparison } from '../../main/stats/transfer-comparison'
import { formatCrossvalReport, formatSeconds, type CrossvalReport } from '../../main/ml/train/cross-validation'
import type { CliCommand } from '../context'

export const runsCommand: CliCommand = (cli) => {
  const runs = cli.program.command('runs').description('training, cross-validation, fine-tuning and evaluation runs')
  runs
    .command('list', { isDefault: true })
    .description('list runs')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const db = cli.openDb()
      // The Models screen's list (runs.list), newest first.
      const all = runList(db)
      if (o.json) return cli.json(all)
      if (!all.length) return cli.out('No runs.')
      const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`)
      cli.out(`${'id'.padStart(4)}  ${'kind'.padEnd(9)}${'status'.padEnd(12)}${'model'.padEnd(16)}${'folds'.padEnd(8)}${'acc'.padStart(7)}${'macroF1'.padStart(9)}  ${'time'.padStart(8)}  backend  started`)
      for (const r of all) {
        cli.out(
          `${String(r.id).padStart(4)}  ${r.kind.padEnd(9)}${r.status.padEnd(12)}${`${r.architecture} ${r.inputSize}px`.padEnd(16)}${`${r.folds.done}/${r.folds.total}`.padEnd(8)}${pct(r.accuracy).padStart(7)}${pct(r.macroF1).padStart(9)}  ${formatSeconds(r.seconds).padStart(8)}  ${(r.backend ?? '-').padEnd(7)}  ${r.startedAt}`
        )
      }
    })
  runs
    .command('show')
    .description('show one run: settings, folds, epochs and report')
    .argument('<id>', 'run id', (v) => parseInt(v, 10))
    .option('--json', 'print everything as JSON (with curve points)')
    .action((id: number, o: { json?: boolean }) => {
      const db = cli.openDb()
      const run = getRun(db, id)
      if (!run) throw new Error(`no run with id ${id}`)
      const report = runReport(db, id)
      if (o.json) return cli.json({ ...report, checkpoints: listRunCheckpoints(db, id) })
      const { folds, epochs } = report
      const images = runImages(db, id)
      const s = summarizeRun(db, run)
      cli.out(`Run ${run.id}: ${run.kind}, ${run.status}${run.error ? ` (${run.error})` : ''}; ${run.architecture} at ${run.inputSize} px; seed ${run.seed}; backend ${run.backend ?? '-'}`)
      cli.out(`Started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}; ${formatSeconds(run.seconds)} of compute; ${images.length} cells; folds ${s.folds.done}/${s.folds.total} done`)
      cli.out(`Hyperparameters: ${JSON.stringify(run.hyperparameters)}`)
      if (run.kind === 'crossval' || run.kind === 'finetune') {
        const t = transferComparison(db, run)
        if (t) {
          const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`)
          const classes = Object.keys(t.arms.find((a) => a.recall)?.recall ?? {})
          cli.out(`\nTransfer from ${t.baseModels.length ? t.baseModels.map((b) => `model ${b.id} (${b.name})`).join(', ') : 'a deleted model'}, ${t.k} folds on ${t.dataset ?? 'selected cells'}, the same folds for every arm:`)
          const w = Math.max(16, ...t.arms.map((a) => a.label.length + 2))
          cli.out(`  ${'arm'.padEnd(w)}${'run'.padStart(5)}  ${'status'.padEnd(10)}${'acc'.padStart(7)}${'folds mean±sd'.padStart(16)}${'macroF1'.padStart(9)}${'ROC AUC'.padStart(9)}  recall ${classes.map((c) => c.slice(0, 4)).join(' / ')}`)
          for (const a of t.arms) {
            const folds = a.foldAccuracy ? `${pct(a.foldAccuracy.mean)}±${pct(a.foldAccuracy.sd)}` : '-'
            cli.out(`  ${a.label.padEnd(w)}${String(a.runId).padStart(5)}  ${a.status.padEnd(10)}${pct(a.accuracy).padStart(7)}${folds.padStart(16)}${pct(a.macroF1).padStart(9)}${(a.macroRocAuc === null ? '-' : a.macroRocAuc.toFixed(3)).padStart(9)}  ${a.recall ? classes.map((c) => pct(a.recall![c])).join(' / ') : '-'}`)
          }
        }
        if (run.metrics) cli.out('\n' + formatCrossvalReport(run.metrics as CrossvalReport))
        else for (const f of folds) cli.out(`  fold ${f.fold + 1}: ${f.status}, ${f.epochsDone} epochs${f.accuracy !== null ? `, accuracy ${(f.accuracy * 100).toFixed(1)}%` : ''}`)
      } else if (run.metrics) {
        cli.out(JSON.stringify(run.metrics, null, 2).slice(0, 4000))
      }
      if (epochs.length) {
        cli.out('\nEpochs (fold, epoch, loss, train acc, val acc, s):')
        for (const e of epochs.slice(-40)) {
          cli.out(`  ${e.fold + 1}  ${String(e.epoch).padStart(3)}  ${e.trainLoss.toFixed(4)}  ${(e.trainAccuracy * 100).toFixed(1)}%  ${e.valAccuracy === null ? '-' : `${(e.valAccuracy * 100).toFixed(1)}%`}  ${e.seconds.toFixed(1)}`)
        }
        if (epochs.length > 40) cli.out(`  ... ${epochs.length - 40} earlier (--json lists all)`)
      }
    })
}
