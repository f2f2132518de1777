// Exporting generated cells as a dataset others can use: one folder per class
// of PNGs, labels.csv with each cell's provenance, and a dataset card (CARD.md
// and card.json) naming the generators, their settings, the quality figures
// and the licence and attribution of the real cells they learnt from.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  getGenerator,
  getSyntheticReport,
  latestReportFor,
  listSyntheticImages,
  syntheticPng,
  type Db,
  type GeneratorRow
} from '../store/index'
import type { QualityReport } from './quality'
import { csvCell } from '../export/csv-cell'

export interface ExportOptions {
  generatorIds: number[]
  outDir: string
  /** Quality report to quote (default: the newest covering the first generator). */
  reportId?: number
}

export interface ExportResult {
  outDir: string
  files: number
  perClass: Record<string, number>
}


export async function exportSyntheticDataset(db: Db, o: ExportOptions): Promise<ExportResult> {
  const gens: GeneratorRow[] = o.generatorIds.map((id) => {
    const g = getGenerator(db, id)
    if (!g) throw new Error(`generator ${id} not found`)
    return g
  })
  const rows = ['file,class,generator,checkpoint_step,seed,draw_index,sha256']
  const perClass: Record<string, number> = {}
  let files = 0
  for (const g of gens) {
    const dir = join(o.outDir, g.class)
    await mkdir(dir, { recursive: true })
    for (const img of listSyntheticImages(db, { generatorId: g.id })) {
      const name = `${g.name}-step${img.step}-seed${img.seed}-${String(img.drawIndex).padStart(5, '0')}.png`
      await writeFile(join(dir, name), syntheticPng(db, img.id)!)
      rows.push([`${g.class}/${name}`, g.class, g.name, img.step, img.seed, img.drawIndex, img.sha256].map(csvCell).join(','))
      perClass[g.class] = (perClass[g.class] ?? 0) + 1
      files++
    }
  }
  await writeFile(join(o.outDir, 'labels.csv'), rows.join('\n') + '\n')
  const stored = o.reportId !== undefined ? getSyntheticReport(db, o.reportId) : latestReportFor(db, gens[0].id)
  const report = stored ? (JSON.parse(stored.reportJson) as QualityReport) : null
  const attributions = [...new Set(gens.map((g) => g.attribution).filter(Boolean))]
  const card = {
    kind: 'synthetic white-blood-cell images (DCGAN per class)',
    generatedBy: 'WBC Workstation',
    cells: files,
    perClass,
    generators: gens.map((g) => ({ name: g.name, class: g.class, preset: g.preset, steps: g.steps, settings: JSON.parse(g.settingsJson), trainingData: g.trainingData, backend: g.backend })),
    quality: report,
    trainingDataAttribution: attributions,
    note: 'Every image here is generated, none is a real cell. Cells are in the W-Net crop (central 200/360 of a 360x363 analyser image), at the generator size.'
  }
  await writeFile(join(o.outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`
  const md = [
    '# Synthetic white-blood-cell images',
    '',
    `${files} generated cells (${Object.entries(perClass).map(([c, n]) => `${c} ${n}`).join(', ')}), made by WBC Workstation with one DCGAN per class.`,
    '**Every image is generated; none is a real cell.** `labels.csv` gives each file its class and provenance (generator, checkpoint step, seed, draw index).',
    '',
    '## Generators',
    '',
    '| name | class | preset | steps | size | batch | learning rate | trained on |',
    '|---|---|---|---|---|---|---|---|',
    ...card.generators.map((g) => `| ${g.name} | ${g.class} | ${g.preset} | ${g.steps} | ${g.settings.size} px | ${g.settings.batchSize} | ${g.settings.optimizer.learningRate} | ${g.trainingData} |`),
    '',
    '## Quality',
    '',
    ...(report
      ? [
          `Baseline model: ${report.model} (${report.inputSize} px), ${report.perClass} cells per class.`,
          '',
          '| class | baseline W-Net accuracy on generated | on real | cosine real/real (pixels) | cosine real/generated | gap | Fréchet real/generated | Fréchet real/real |',
          '|---|---|---|---|---|---|---|---|',
          ...report.results.map(
            (c) =>
              `| ${c.class} | ${pct(c.baseline.accuracyOnGenerated)} | ${pct(c.baseline.accuracyOnReal)} | ${c.cosine.pixels.realReal.toFixed(3)} | ${c.cosine.pixels.realGenerated.toFixed(3)} | ${c.cosine.pixels.gap.toFixed(3)} | ${c.frechet.realVsGenerated.toFixed(2)} | ${c.frechet.realVsReal.toFixed(2)} |`
          ),
          '',
          report.trainedOnGenerated
            ? `A W-Net trained on generated cells only reached ${pct(report.trainedOnGenerated.accuracy)} accuracy on ${report.trainedOnGenerated.testCells} real cells.`
            : `W-Net trained on generated cells: not run (${report.skipped}).`
        ]
      : ['No quality report was run for these generators.']),
    '',
    '## Licence and attribution of the training data',
    '',
    ...(attributions.length ? attributions.map((a) => `- ${a}`) : ['- (not recorded)']),
    '',
    'The generators learnt from the real images named above; keep their attribution wherever these images are shipped.',
    ''
  ].join('\n')
  await writeFile(join(o.outDir, 'CARD.md'), md)
  return { outDir: o.outDir, files, perClass }
}
