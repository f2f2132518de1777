// `wbc import PATH`: import a folder (or file) of cell images into the store.
import { importPath, type ImportReport } from '../../main/import/index'
import type { CliCommand } from '../context'

export const importCommand: CliCommand = (cli) => {
  cli.program
    .command('import')
    .description('import cell images: class folders, slide folders of an export, CSV manifests; JPG, PNG, BMP, TIFF')
    .argument('<path>', 'folder or image file to import')
    .option('--dataset <name>', 'dataset the images join (default: the folder name)')
    .option('--no-dataset', 'do not add the images to any dataset')
    .option('--no-keep-unknown-classes', 'fail the files of class folders / manifest classes this program does not know (default: keep them under their own label, as the Import screen does)')
    .option('--concurrency <n>', 'files decoded at once', (v) => parseInt(v, 10))
    .option('--json', 'print the whole report as JSON')
    .action(async (path: string, o: { dataset?: string | false; keepUnknownClasses?: boolean; concurrency?: number; json?: boolean }) => {
      const db = cli.openDb()
      const bar = o.json ? undefined : cli.progress()
      const abort = new AbortController()
      const onSigint = () => abort.abort()
      process.once('SIGINT', onSigint)
      let report: ImportReport
      try {
        report = await importPath(db, path, {
          dataset: o.dataset === false ? null : o.dataset,
          keepUnknownClasses: o.keepUnknownClasses,
          concurrency: o.concurrency,
          signal: abort.signal,
          onProgress: bar?.update
        })
      } finally {
        bar?.stop()
        process.removeListener('SIGINT', onSigint)
      }
      if (o.json) cli.json(report)
      else cli.out(summarise(report))
      cli.exitCode = report.status === 'cancelled' ? 130 : report.counts.failed > 0 ? 1 : 0
    })
}

export function summarise(r: ImportReport): string {
  const c = r.counts
  const lines: string[] = []
  const where = r.dataset ? ` into dataset "${r.dataset.name}"` : ''
  lines.push(
    `${r.status === 'cancelled' ? 'Cancelled: ' : ''}${c.imported} new image${c.imported === 1 ? '' : 's'} from ${r.sourcePath}${where}; ` +
      `${c.duplicate} already in the store, ${c.failed} failed, ${c.skipped} skipped; ${r.seconds.toFixed(1)} s (${r.imagesPerSecond.toFixed(0)} images/s)`
  )
  const classes = Object.entries(r.classes).sort(([a], [b]) => a.localeCompare(b))
  if (classes.length) {
    lines.push('By class (new and already stored):')
    const w = Math.max(...classes.map(([k]) => (k || '(unlabelled)').length))
    for (const [k, n] of classes) lines.push(`  ${(k || '(unlabelled)').padEnd(w)}  ${n}`)
  }
  if (r.slides.length) lines.push(`Slides: ${r.slides.length} (${r.slides.slice(0, 5).join(', ')}${r.slides.length > 5 ? ', ...' : ''})`)
  const o = r.orders
  if (o.rows || o.problems.length) {
    lines.push(`Orders: ${o.updated.length} slide${o.updated.length === 1 ? '' : 's'} took order/patient data from ${o.rows} manifest row${o.rows === 1 ? '' : 's'}`)
    if (o.unmatched.length) lines.push(`  no slide for: ${o.unmatched.join(', ')}`)
    if (o.signed.length) lines.push(`  signed, left unchanged: ${o.signed.join(', ')}`)
    for (const k of o.keptReviewerValues) lines.push(`  ${k.sampleId} ${k.field}: kept "${k.kept ?? ''}" set by a person (file says "${k.file ?? ''}")`)
    for (const p of o.problems) lines.push(`  ${p.message}`)
  }
  const failed = r.files.filter((f) => f.status === 'failed')
  if (failed.length) {
    lines.push(`Failed (${failed.length}):`)
    for (const f of failed.slice(0, 50)) lines.push(`  ${f.path}: ${f.message ?? f.reason}`)
    if (failed.length > 50) lines.push(`  ... ${failed.length - 50} more (use --json for the whole report)`)
  }
  const conflicts = r.files.filter((f) => f.conflict)
  if (conflicts.length) {
    lines.push(`Conflicting labels recorded (${conflicts.length}); the earlier label stays current until a reviewer decides:`)
    for (const f of conflicts.slice(0, 50)) lines.push(`  ${f.path}: ${f.conflict!.added} (already ${f.conflict!.existing.join(', ')})`)
    if (conflicts.length > 50) lines.push(`  ... ${conflicts.length - 50} more`)
  }
  return lines.join('\n')
}
