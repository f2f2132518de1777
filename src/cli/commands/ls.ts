// `wbc ls`: what the store holds: datasets, slides, images per current label.
// Datasets and slides are the core's read-models, the rows the contract's
// datasets.list and slides.list give the app (`--json` prints them as such).
import { countImages } from '../../main/store/images'
import { labelConflicts, labelCounts } from '../../main/store/labels'
import { datasetSummaries } from '../../main/services/imports'
import { slideSummaries } from '../../main/services/slides'
import type { CliCommand } from '../context'

export const lsCommand: CliCommand = (cli) => {
  cli.program
    .command('ls')
    .description('list datasets, slides and the number of images per label')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const db = cli.openDb()
      const datasets = datasetSummaries(db)
      const slides = slideSummaries(db)
      const summary = {
        db: cli.dbPath(),
        images: countImages(db),
        labels: labelCounts(db),
        conflicts: labelConflicts(db).length,
        datasets,
        slides
      }
      if (o.json) {
        cli.json(summary)
        return
      }
      const lines = [`${summary.db}`, `${summary.images} images`]
      lines.push(...table(summary.labels, '  '))
      if (summary.conflicts) lines.push(`${summary.conflicts} images with conflicting imported labels`)
      lines.push(`Datasets (${datasets.length}):`)
      for (const d of datasets) {
        lines.push(`  ${d.name}: ${d.imageCount} images`)
        lines.push(...table(d.labelCounts, '    '))
      }
      lines.push(`Slides (${slides.length}):`)
      for (const s of slides.slice(0, 100)) lines.push(`  ${s.sampleId}: ${s.cellCount} images, ${s.status}${s.model ? `, model ${s.model.name}` : ''}`)
      if (slides.length > 100) lines.push(`  ... ${slides.length - 100} more (--json lists all)`)
      cli.out(lines.join('\n'))
    })
}

function table(counts: Record<string, number>, indent: string): string[] {
  const rows = Object.entries(counts).map(([k, n]) => [k || '(unlabelled)', n] as const)
  const w = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, n]) => `${indent}${k.padEnd(w)}  ${n}`)
}
