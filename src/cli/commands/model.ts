// `wbc model export|import|list|default|calibrate|ship`: stored models to and
// from standard TensorFlow.js folders (model.json + weights), so others can
// load them; `ship` turns a default-model training run into the shipped
// model folder and its card (src/main/ml/model/ship.ts).
import { getModel, listModels, setDefaultModel } from '../../main/store/models'
import { ensureShippedModel, exportModel, importModel, resolveStoredModel } from '../../main/ml/model/registry'
import { calibrateOod, calibrationCellsOfRun, formatSeparationTable } from '../../main/ml/infer/classify-cells'
import { OOD_SCORE_KINDS, type OodScoreKind } from '../../main/ml/ood/ood-scores'
import { findImageIdBySha256 } from '../../main/store/images'
import { readFile } from 'node:fs/promises'
import { initBackend } from '../../main/ml/model/tfjs-backend'
import { recalibrateShippedModel, shipDefaultModel, type ModelCard } from '../../main/ml/model/ship'
import { datasetsDir } from '../../main/paths'
import { join } from 'node:path'
import type { CliCommand } from '../context'

export const modelCommand: CliCommand = (cli) => {
  const model = cli.program.command('model').description('stored models: list, export and import as TensorFlow.js folders, choose the default')
  model
    .command('list')
    .description('list stored models')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const db = cli.openDb()
      await ensureShippedModel(db)
      const rows = listModels(db)
      if (o.json) return cli.json(rows)
      if (!rows.length) return cli.out('No models.')
      for (const m of rows) {
        cli.out(
          `${String(m.id).padStart(4)}${m.isDefault ? ' *' : '  '} ${m.name.padEnd(28)} ${m.architecture} ${m.inputSize}px ${m.quantization.padEnd(7)} ${m.inputNormalisation === 'none' ? '' : `${m.inputNormalisation} `}${m.provenance}${m.runId !== null ? ` (run ${m.runId}${m.fold !== null ? ` fold ${m.fold + 1}` : ''})` : ''} ${(m.byteSize / 1e6).toFixed(1)} MB`
        )
      }
    })
  model
    .command('export')
    .description('write a stored model as model.json + weights.bin')
    .argument('<model>', 'stored model id or name')
    .argument('<dir>', 'folder to write')
    .action(async (ref: string, dir: string) => {
      const db = cli.openDb()
      const id = await resolveStoredModel(db, ref)
      const file = await exportModel(db, id, dir)
      cli.out(`model ${id} written to ${file}`)
    })
  model
    .command('import')
    .description('store a TensorFlow.js layers model (folder or model.json)')
    .argument('<path>', 'model folder or model.json')
    .option('--name <name>', 'name to store it under')
    .option('--default', 'make it the default model')
    .action(async (path: string, o: { name?: string; default?: boolean }) => {
      const db = cli.openDb()
      const id = await importModel(db, path, { name: o.name, setDefault: o.default })
      const m = getModel(db, id)!
      cli.out(`stored as model ${id}: ${m.architecture} ${m.inputSize}px, classes ${m.classes.join(', ')}, ${m.quantization}, input colour normalisation ${m.inputNormalisation}`)
    })
  model
    .command('default')
    .description('make a stored model the default one')
    .argument('<model>', 'stored model id or name')
    .action(async (ref: string) => {
      const db = cli.openDb()
      const id = await resolveStoredModel(db, ref)
      setDefaultModel(db, id)
      cli.out(`model ${id} is now the default`)
    })
  model
    .command('calibrate')
    .description('measure how well confidence, energy and Mahalanobis scores separate non-WBC objects from real WBCs; store the best as the model\'s Unidentified routing')
    .argument('<model>', 'stored model id or name')
    .requiredOption('--other <dataset>', 'dataset of non-WBC objects (e.g. pbc-other)')
    .option('--run <id>', 'the training run of the model: its training cells fit the feature statistics, its held-out cells are the WBCs', (v) => parseInt(v, 10))
    .option('--split <file>', 'a split.json of the model\'s training (files with sha256 and set train/test, as scripts/train-default-model.ts writes): train cells fit, test cells are the WBCs (instead of --run)')
    .option('--fit <dataset>', 'dataset of the model\'s training cells (instead of --run)')
    .option('--wbc <dataset>', 'dataset of real WBCs the model did not train on (instead of --run)')
    .option('--target <share>', 'share of real WBCs the threshold may route to Unidentified', Number, 0.05)
    .option('--exposure <share>', 'share of the non-WBC objects shown to the outlier-exposure detector (0: none); the rest is what every score is measured on', Number, 0.5)
    .option('--score <kind>', 'msp, energy, mahalanobis or outlier-exposure (default: the one catching most non-WBC objects)')
    .option('--json', 'print the calibration as JSON')
    .action(async (ref: string, o: { other: string; run?: number; split?: string; fit?: string; wbc?: string; target: number; exposure: number; score?: string; json?: boolean }) => {
      const db = cli.openDb()
      const id = await resolveStoredModel(db, ref)
      let fit, wbc
      if (o.run !== undefined) {
        ;({ fit, wbc } = calibrationCellsOfRun(db, o.run))
      } else if (o.split !== undefined) {
        const split = JSON.parse(await readFile(o.split, 'utf8')) as { files?: { sha256: string; label: string; set: string }[] }
        if (!Array.isArray(split.files)) throw new Error(`${o.split} has no files list`)
        const cells = (set: string) =>
          split.files!.filter((f) => f.set === set).map((f) => {
            const imageId = findImageIdBySha256(db, f.sha256)
            if (imageId === undefined) throw new Error(`${o.split}: an image (sha256 ${f.sha256.slice(0, 12)}...) is not in this store; import the dataset first`)
            return { imageId, labelId: null, class: f.label }
          })
        fit = cells('train')
        wbc = cells('test')
      } else {
        if (!o.fit || !o.wbc) throw new Error('give --run, --split, or both --fit and --wbc')
        fit = { dataset: o.fit }
        wbc = { dataset: o.wbc }
      }
      if (o.score !== undefined && !(OOD_SCORE_KINDS as readonly string[]).includes(o.score)) throw new Error(`--score is one of ${OOD_SCORE_KINDS.join(', ')}`)
      const backend = await initBackend()
      const bar = o.json ? undefined : cli.progress()
      const r = await calibrateOod(db, {
        model: id,
        fit,
        wbc,
        other: { dataset: o.other },
        targetWbcRate: o.target,
        exposureShare: o.exposure,
        score: o.score as OodScoreKind | undefined,
        onProgress: bar?.update
      }).finally(() => bar?.stop())
      if (o.json) return cli.json(r)
      cli.out(
        `model ${id} (${backend.name}): measured on ${r.calibration.wbcCells} held-out WBCs and ${r.calibration.otherCells} non-WBC objects; ` +
          `statistics from ${r.calibration.fitCells} training cells, detector shown ${r.calibration.exposureCells} other non-WBC objects; chosen score: ${r.chosen}`
      )
      const v = r.calibration.review
      if (v) cli.out(`review default ${v.confidenceThreshold.toFixed(2)}: ${(100 * v.wbcRouted).toFixed(1)}% of WBCs in Unidentified, ${(100 * v.otherKeptOut).toFixed(1)}% of non-WBC objects kept out of the WBC groups (report halves; ${v.met ? 'target met' : 'target NOT met'})`)
      cli.out(formatSeparationTable(r.calibration))
    })
  model
    .command('recalibrate')
    .description('re-measure a shipped model folder\'s Unidentified routing (detector and review default chosen together) on its held-out cells, without retraining: rewrites its metadata, its detector data and its card\'s Unidentified section')
    .argument('<dir>', 'the shipped model folder')
    .requiredOption('--heldout <file>', 'the cells it was never trained on: the card\'s <name>-heldout.csv, or a split.json')
    .option('--data <dir...>', 'its training data in class folders (default: pbc-wbc in the datasets folder)')
    .option('--other <dir>', 'non-WBC objects in class folders (default: pbc-other in the datasets folder)')
    .option('--card-dir <dir>', 'the folder with its card (README.md, card.json) to update')
    .option('--target <share>', 'the most held-out WBCs Unidentified may take, detector and review threshold together', Number, 0.05)
    .option('--json', 'print the calibration as JSON')
    .action(async (dir: string, o: { heldout: string; data?: string[]; other?: string; cardDir?: string; target: number; json?: boolean }) => {
      const datasets = datasetsDir(process.cwd())
      const data = o.data ?? (datasets ? [join(datasets, 'pbc-wbc')] : undefined)
      const other = o.other ?? (datasets ? join(datasets, 'pbc-other') : undefined)
      if (!data || !other) throw new Error('no datasets folder found: pass --data and --other')
      await initBackend()
      const shown = (p: string) => (datasets && p.startsWith(datasets + '/') ? `$WBC_DATASETS/${p.slice(datasets.length + 1)}` : p)
      const r = await recalibrateShippedModel({
        modelDir: dir,
        heldOut: o.heldout,
        data,
        other,
        cardDir: o.cardDir,
        targetWbcRate: o.target,
        display: { data: data.map(shown).join(' --data '), other: shown(other) },
        log: o.json ? undefined : (line) => cli.err(line)
      })
      if (o.json) return cli.json(r)
      const v = r.calibration.review
      cli.out(`Unidentified: ${r.chosen} > ${r.calibration.threshold.toPrecision(6)}`)
      if (v) {
        cli.out(
          `review default: confidence under ${v.confidenceThreshold.toFixed(2)} is Unidentified; on the report halves ${(100 * v.wbcRouted).toFixed(1)}% of ${v.wbcCells} normal WBCs in Unidentified (at most ${(100 * v.maxWbcRate).toFixed(0)}%), ` +
            `${(100 * v.otherKeptOut).toFixed(1)}% of ${v.otherCells} non-WBC objects kept out of the WBC groups (at least ${(100 * v.minOtherRate).toFixed(0)}%): ${v.met ? 'met' : 'NOT met'}`
        )
      }
      cli.out(formatSeparationTable(r.calibration))
    })
  model
    .command('ship')
    .description('ship a default-model training run (scripts/train-default-model.ts): its latest finished epoch as an 8-bit model folder with its Unidentified calibration, and a model card (README.md, card.json) whose figures are measured on the run\'s held-out files')
    .option('--from <dir>', 'the training output folder (checkpoint/, split.json, train.log)', '.cache/default-model')
    .option('--out <dir>', 'the model folder to write (replaced as a whole)', 'resources/models/wnet-pbc')
    .option('--card-dir <dir>', 'where README.md and card.json go (default: the folder above --out)')
    .option('--data <dir...>', 'the dataset(s) the split\'s paths are relative to (default: split.json\'s)')
    .option('--other <dir>', 'non-WBC objects in class folders for the Unidentified calibration (default: pbc-other in the datasets folder)')
    .option('--target <share>', 'share of held-out WBCs the threshold may route to Unidentified', Number, 0.05)
    .option('--heldout-tree <dir>', 'keep the held-out class-folder tree (links) there, for re-running wbc evaluate')
    .option('--score <kind>', 'msp, energy, mahalanobis or outlier-exposure (default: the one routing most non-WBC objects at the target)')
    .option('--name <name>', 'model name in the metadata (default: the folder name of --out)')
    .option('--note <text...>', 'extra lines for the card\'s Status section')
    .option('--json', 'print the card as JSON')
    .action(async (o: { from: string; out: string; cardDir?: string; data?: string[]; other?: string; target: number; heldoutTree?: string; score?: string; name?: string; note?: string[]; json?: boolean }) => {
      if (o.score !== undefined && !(OOD_SCORE_KINDS as readonly string[]).includes(o.score)) throw new Error(`--score is one of ${OOD_SCORE_KINDS.join(', ')}`)
      const datasets = datasetsDir(process.cwd())
      const other = o.other ?? (datasets ? join(datasets, 'pbc-other') : undefined)
      if (!other) throw new Error('no datasets folder found: pass --other')
      const r = await shipDefaultModel({
        from: o.from,
        out: o.out,
        cardDir: o.cardDir,
        data: o.data,
        other,
        targetWbcRate: o.target,
        heldoutTree: o.heldoutTree,
        score: o.score as OodScoreKind | undefined,
        name: o.name,
        notes: o.note ?? [],
        log: o.json ? undefined : (line) => cli.err(line)
      })
      if (o.json) return cli.json(r.card)
      const c = r.card
      const pct = (v: number) => `${(100 * v).toFixed(2)}%`
      const line = (label: string, m: ModelCard['evaluation']['uint8']) =>
        `${label}: accuracy ${pct(m.accuracy)}, macro F1 ${pct(m.macroF1)}; ` + m.classes.map((k) => `${k} recall ${pct(m.perClass[k]!.recall)} (n ${m.perClass[k]!.n})`).join('; ')
      cli.out(`shipped ${r.modelDir} (model ${(c.model.modelBytes / 1e6).toFixed(2)} MB, folder ${(c.model.shippedBytes / 1e6).toFixed(2)} MB) from ${c.training.checkpoint} (${c.training.epochsTrained}/${c.training.epochsPlanned} epochs${c.training.dropoutOff ? ` + ${c.training.dropoutOff.epochs} dropout off` : ''})`)
      cli.out(line('float32', c.evaluation.float32))
      cli.out(line('uint8  ', c.evaluation.uint8))
      cli.out(`accuracy float32 - uint8: ${c.evaluation.accuracyDiffPoints.toFixed(2)} points (${c.evaluation.quantisationOk ? 'ok' : 'NOT under 0.5'})`)
      cli.out(`Unidentified: ${c.ood.chosen} > ${c.ood.threshold.toPrecision(6)}`)
      cli.out(formatSeparationTable(c.ood))
      const v = c.ood.review
      if (v) cli.out(`review default ${v.confidenceThreshold.toFixed(2)}: ${(100 * v.wbcRouted).toFixed(1)}% of WBCs in Unidentified, ${(100 * v.otherKeptOut).toFixed(1)}% of non-WBC objects kept out of the WBC groups (${v.met ? 'target met' : 'target NOT met'})`)
      cli.out(`target (>= ${(100 * c.target.accuracy).toFixed(0)}% accuracy, >= ${(100 * c.target.basophilRecall).toFixed(0)}% ${c.target.recallClass ?? 'basophil'} recall): ${c.target.met ? 'met' : 'not met'}`)
      cli.out(`card: ${r.readme}, ${r.cardJson}`)
    })
}
