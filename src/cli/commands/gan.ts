// `wbc gan train|generate|report|export|ls`: synthetic cells from the command line.
// Training runs in the foreground with a progress bar; for hours-long runs
// start it under nohup: it checkpoints every N steps and the same command
// resumes it after a kill (even kill -9).
import { join, resolve } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { isGanPreset } from '../../main/synthetic/dcgan'
import { GAN_PRESET_NAMES, type GanPresetName } from '../../shared/models'
import { PBC_ATTRIBUTION, trainGenerator } from '../../main/synthetic/generators'
import { generateCells } from '../../main/synthetic/generate'
import { exportSyntheticDataset } from '../../main/synthetic/export'
import { formatQualityReport, runQualityReport } from '../../main/synthetic/quality'
import { countSyntheticImages } from '../../main/store'
import { findGenerator, ganCheckpointDir, generatorGrid, generatorSummaries } from '../../main/services/synthetic'
import { getModel } from '../../main/store/models'
import { loadStoredClassifier, resolveStoredModel } from '../../main/ml/model/registry'
import type { CliCommand } from '../context'
import { checkGeneratorName, defaultGeneratorName } from '../../shared/synthetic'
import { ensureShippedGeneratorRow, findShipped, listShippedGenerators } from '../../main/synthetic/shipped'
import type { Db, GeneratorRow } from '../../main/store/index'

/**
 * A stored generator by name or id, else a class of a shipped generator
 * (`<shipped>-<class>`, or the shipped name with --class), imported into the
 * store on first use.
 */
async function generatorOrShipped(db: Db, ref: string, cls?: string): Promise<GeneratorRow> {
  try {
    return findGenerator(db, cls ? `${ref}-${cls}` : ref)
  } catch (err) {
    const shipped = findShipped(ref, cls)
    if (!shipped) {
      if (!cls && listShippedGenerators().some((g) => g.card.name === ref)) throw new Error(`${ref} generates several classes: give --class`)
      throw err
    }
    return ensureShippedGeneratorRow(db, shipped.generator, shipped.class)
  }
}

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`)
  return n
}

export const ganCommand: CliCommand = (cli) => {
  const gan = cli.group('gan', 'synthetic cells: train a DCGAN per class, generate, check quality, export')

  gan
    .command('train')
    .description('train (or resume) a DCGAN for one class on real cells')
    .requiredOption('--class <class>', 'cell class, e.g. basophil')
    .requiredOption('--real <path>', 'class-folder tree of real cells (e.g. pbc-wbc in $WBC_DATASETS), or "store" for the labelled images in the database')
    .option('--name <name>', 'generator name (default <class>-<preset>); an unfinished one of this name is resumed')
    .option('--preset <preset>', `${GAN_PRESET_NAMES.join(' | ')}`, 'cpu')
    .option('--steps <n>', 'train until this many steps are done', int, 5000)
    .option('--size <px>', 'override the preset image size', int)
    .option('--batch <n>', 'override the preset batch size', int)
    .option('--lr <rate>', 'override the preset learning rate', Number)
    .option('--max-real <n>', 'use at most this many real cells (seeded sample)', int)
    .option('--dataset <id>', 'with --real store: only this dataset', int)
    .option('--checkpoint-dir <dir>', 'training state for resume (default: beside the database, <db>-work/gan/<name>)')
    .option('--checkpoint-every <n>', 'steps between checkpoints', int, 200)
    .option('--sample-every <n>', 'steps between sample grids (default: checkpoint-every)', int)
    .option('--sample-dir <dir>', 'where sample grid PNGs go (default <checkpoint-dir>/samples)')
    .option('--attribution <text>', 'licence / attribution of the training data (default: PBC CC BY 4.0 for pbc folders)')
    .option('--json', 'print the result as JSON')
    .action(async (o: {
      class: string; real: string; name?: string; preset: string; steps: number; size?: number; batch?: number; lr?: number; maxReal?: number; dataset?: number
      checkpointDir?: string; checkpointEvery: number; sampleEvery?: number; sampleDir?: string; attribution?: string; json?: boolean
    }) => {
      if (!isGanPreset(o.preset)) throw new Error(`unknown preset ${o.preset} (${GAN_PRESET_NAMES.join(', ')})`)
      const preset: GanPresetName = o.preset
      const db = cli.openDb()
      const name = checkGeneratorName(o.name ?? defaultGeneratorName(o.class, preset))
      const ckDir = o.checkpointDir ? resolve(o.checkpointDir) : ganCheckpointDir(cli.dbPath(), name)
      const overrides = o.size || o.batch || o.lr ? { ...(o.size ? { size: o.size } : {}), ...(o.batch ? { batchSize: o.batch } : {}), ...(o.lr ? { optimizer: { learningRate: o.lr } } : {}) } : undefined
      const real = o.real === 'store' ? { db, datasetId: o.dataset } : { folder: resolve(o.real) }
      const attribution = o.attribution ?? (/pbc/i.test(o.real) ? PBC_ATTRIBUTION : '')
      const ac = new AbortController()
      const stop = () => ac.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const bar = cli.progress()
      try {
        const r = await trainGenerator(db, {
          name,
          class: o.class,
          preset,
          settings: overrides,
          real,
          maxReal: o.maxReal,
          steps: o.steps,
          checkpointDir: ckDir,
          checkpointEvery: o.checkpointEvery,
          sampleEvery: o.sampleEvery,
          sampleDir: resolve(o.sampleDir ?? join(ckDir, 'samples')),
          trainingData: o.real === 'store' ? undefined : `${o.real} (${o.class})`,
          attribution,
          signal: ac.signal,
          onProgress: bar.update
        })
        bar.stop()
        const summary = {
          generator: { id: r.generator.id, name: r.generator.name, class: r.generator.class, preset: r.generator.preset, status: r.generator.status, steps: r.generator.steps },
          resumedFromStep: r.train.resumedFromStep,
          realCells: r.realCells,
          backend: r.train.backend,
          secondsPerStep: r.train.secondsPerStep,
          peakRssMb: Math.round(r.train.peakRssMb),
          generatorParams: r.train.generatorParams,
          discriminatorParams: r.train.discriminatorParams,
          last: r.train.history.at(-1) ?? null,
          checkpointDir: ckDir
        }
        if (o.json) cli.json(summary)
        else
          cli.out(
            `${summary.generator.name}: ${summary.generator.status} at step ${summary.generator.steps} (resumed from ${summary.resumedFromStep}), ` +
              `${summary.realCells} real cells, ${summary.backend}, ${summary.secondsPerStep.toFixed(3)} s/step, peak RSS ${summary.peakRssMb} MB` +
              (summary.last ? `\n  D loss ${summary.last.dLoss.toFixed(3)}, G loss ${summary.last.gLoss.toFixed(3)}, D(real) ${summary.last.dReal.toFixed(2)}, D(generated) ${summary.last.dFake.toFixed(2)}` : '')
          )
      } finally {
        bar.stop()
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })

  gan
    .command('generate')
    .description('generate cells from a generator\'s checkpoint and store them as synthetic images')
    .argument('<generator>', 'generator name or id, or a shipped generator (see gan ls)')
    .option('--class <class>', 'with a shipped generator of several classes: the class to generate')
    .option('-n, --count <n>', 'cells to generate', int, 100)
    .option('--seed <n>', 'seed of the draw (same seed, same cells)', int, 1)
    .option('--from <i>', 'first draw index (extend an earlier draw)', int, 0)
    .option('--checkpoint <id>', 'checkpoint id (default: the latest)', int)
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { class?: string; count: number; seed: number; from: number; checkpoint?: number; json?: boolean }) => {
      const db = cli.openDb()
      const g = await generatorOrShipped(db, ref, o.class)
      const bar = cli.progress()
      const r = await generateCells(db, { generatorId: g.id, checkpointId: o.checkpoint, count: o.count, seed: o.seed, from: o.from, onProgress: bar.update })
      bar.stop()
      if (o.json) cli.json({ ...r, ids: undefined, count: r.ids.length })
      else cli.out(`${g.name}: ${r.ids.length} ${g.class} cells from step ${r.checkpoint.step}, seed ${r.seed} (${r.created} new); ${countSyntheticImages(db, g.id)} stored in all`)
    })

  gan
    .command('ls')
    .description('list generators')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const db = cli.openDb()
      // The Synthetic screen's rows (synthetic.generators), shipped generators' classes among them.
      const rows = generatorSummaries(db)
      if (o.json) return cli.json(rows)
      if (!rows.length) return cli.out('no generators')
      for (const r of rows) cli.out(`${r.id}  ${r.name}  ${r.class}  ${r.preset}  ${r.status}  ${r.steps}/${r.targetSteps} steps  ${r.cells} cells`)
      for (const g of listShippedGenerators()) {
        cli.out(`(shipped: ${g.card.name}, ${g.card.classes.join(', ')}, ${g.card.settings.size} px, step ${g.card.step}, ${g.card.training.cpuHours.toFixed(2)} CPU-hours: wbc gan generate ${g.card.name} --class ${g.card.classes[0]})`)
      }
    })

  gan
    .command('grid')
    .description('write the sample grid of a generator\'s latest checkpoint to a PNG file')
    .argument('<generator>', 'generator name or id')
    .argument('<file>', 'output PNG')
    .action(async (ref: string, file: string) => {
      const db = cli.openDb()
      const g = findGenerator(db, ref)
      const { step, png } = generatorGrid(db, g)
      await writeFile(file, png)
      cli.out(`${file}: ${g.name} at step ${step}`)
    })

  gan
    .command('report')
    .description('quality report: baseline W-Net on generated cells, W-Net trained on generated tested on real, cosine similarities, Fréchet distance')
    .argument('<generators...>', 'generator names or ids (one per class; the train-on-generated check uses their classes)')
    .requiredOption('--real <path>', 'class-folder tree of real cells to compare with (not the cells the GANs learnt from, ideally)')
    .option('--model <model>', 'the baseline W-Net: a stored model id or name, or a tfjs model folder / model.json (default: the default model)')
    .option('--per-class <n>', 'real and generated cells per class', int, 100)
    .option('--real-list <csv>', 'only the real cells listed in this CSV (first column: class/file, as the shipped model\'s held-out list)')
    .option('--epochs <n>', 'epochs of the W-Net trained on generated cells', int, 5)
    .option('--tstr-size <px>', 'input size of the W-Net trained on generated cells (default: the baseline model\'s)', int)
    .option('--seed <n>', 'sampling seed', int, 1)
    .option('--json', 'print as JSON')
    .action(async (refs: string[], o: { real: string; realList?: string; model?: string; perClass: number; epochs: number; tstrSize?: number; seed: number; json?: boolean }) => {
      const db = cli.openDb()
      const gens = await Promise.all(refs.map((r) => generatorOrShipped(db, r)))
      const only = o.realList ? new Set((await readFile(o.realList, 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0].trim()).filter(Boolean)) : undefined
      const modelId = await resolveStoredModel(db, o.model)
      const clf = await loadStoredClassifier(db, modelId)
      const bar = cli.progress()
      const r = await runQualityReport(db, {
        generatorIds: gens.map((g) => g.id),
        real: { folder: resolve(o.real), only },
        model: clf.model,
        tstrSize: o.tstrSize,
        classes: clf.meta.classes,
        modelName: `model ${modelId} (${getModel(db, modelId)?.name ?? clf.meta.architecture})`,
        perClass: o.perClass,
        epochs: o.epochs,
        seed: o.seed,
        onProgress: bar.update
      })
      bar.stop()
      if (o.json) cli.json(r)
      else cli.out(formatQualityReport(r))
    })

  gan
    .command('export')
    .description('export generated cells as a dataset: class folders, labels.csv and a dataset card')
    .argument('<generators...>', 'generator names or ids')
    .requiredOption('--out <dir>', 'output folder')
    .option('--report <id>', 'quality report to put in the card (default: the latest covering them)', int)
    .action(async (refs: string[], o: { out: string; report?: number }) => {
      const db = cli.openDb()
      const gens = refs.map((r) => findGenerator(db, r))
      const r = await exportSyntheticDataset(db, { generatorIds: gens.map((g) => g.id), outDir: resolve(o.out), reportId: o.report })
      cli.out(`${r.outDir}: ${r.files} cells (${Object.entries(r.perClass).map(([c, n]) => `${c} ${n}`).join(', ')}), labels.csv, CARD.md`)
    })
}
