// `wbc ls`: what the store holds: datasets, slides, images per current label.
import { countImages } from '../../main/store/images'
import { listDatasets } from '../../main/store/datasets'
import { labelConflicts, labelCounts } from '../../main/store/labels'
import { listSlides } from '../../main/store/slides'
import type { CliCommand } from '../context'

export const lsCommand: CliCommand = (cli) => {
  cli.program
    .command('ls')
    .description('list datasets, slides and the number of images per label')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const db = cli.openDb()
      const datasets = listDatasets(db).map((d) => ({ ...d, labels: labelCounts(db, d.id) }))
      const slides = listSlides(db)
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
        lines.push(...table(d.labels, '    '))
      }
      lines.push(`Slides (${slides.length}):`)
      for (const s of slides.slice(0, 100)) lines.push(`  ${s.sampleId}: ${s.imageCount} images, ${s.status}`)
      if (slides.length > 100) lines.push(`  ... ${slides.length - 100} more (--json lists all)`)
      cli.out(lines.join('\n'))
    })
}

function table(counts: Record<string, number>, indent: string): string[] {
  const rows = Object.entries(counts).map(([k, n]) => [k || '(unlabelled)', n] as const)
  const w = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, n]) => `${indent}${k.padEnd(w)}  ${n}`)
}
