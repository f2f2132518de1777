#!/usr/bin/env -S npx tsx
// Ships resources/models/wnet-pbc-gw: the shipped five-class W-Net's weights,
// byte for byte, as a NEW model whose inputs are grey-world colour-normalised
// (src/main/ml/data/input-normalisation.ts). A model's preprocessing is part of
// the model, so the colour-robust variant is its own folder, name and card
// beside wnet-pbc, never a change to wnet-pbc (whose results labs keep).
//
// Both models are measured here with evaluateFolder (what `wbc evaluate` runs)
// on the base's held-out PBC cells (its wnet-pbc-heldout.csv) and on a
// second site's cells it never saw (chula-wbc, zero-shot); the figures go
// into the new folder's metadata, card.json and README.md. Its Unidentified
// detector is NOT carried over (it was fitted on un-normalised inputs):
// re-measure it with the `wbc model recalibrate` command the card names.
//
//   WBC_DATASETS=<datasets> npx tsx scripts/ship-grey-world-model.ts [--base resources/models/wnet-pbc] [--out resources/models/wnet-pbc-gw]
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { evaluateFolder, type EvaluationReport } from '../src/main/ml/infer/evaluate-folder'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { describeInputNormalisation, GREY_WORLD_TARGET } from '../src/main/ml/data/input-normalisation'
import { datasetsDir } from '../src/main/paths'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const { values: args } = parseArgs({
  options: {
    base: { type: 'string', default: join(ROOT, 'resources/models/wnet-pbc') },
    out: { type: 'string', default: join(ROOT, 'resources/models/wnet-pbc-gw') },
    heldout: { type: 'string', default: join(ROOT, 'resources/models/wnet-pbc-heldout.csv') }
  }
})
const DS = datasetsDir(ROOT)
if (!DS) throw new Error('set WBC_DATASETS to the folder holding pbc-wbc/ and chula-wbc/')
const base = resolve(args.base!)
const out = resolve(args.out!)
const name = basename(out)
const shown = (p: string) => relative(ROOT, p) || '.'
const t0 = Date.now()
const backend = await initBackend()

// The folder: the base's weights byte for byte, its metadata with the normalisation, a new name, no detector.
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
await copyFile(join(base, 'weights.bin'), join(out, 'weights.bin'))
const modelJson = JSON.parse(await readFile(join(base, 'model.json'), 'utf8')) as { userDefinedMetadata: { wbc: Record<string, unknown> } }
const baseMeta = modelJson.userDefinedMetadata.wbc
const weightsSha256 = createHash('sha256').update(await readFile(join(out, 'weights.bin'))).digest('hex')
const meta: Record<string, unknown> = { ...baseMeta, name, inputNormalisation: 'grey-world', derivedFrom: { model: baseMeta.name, weightsSha256, change: 'input colour normalisation only (same weights)' } }
delete meta.calibration
modelJson.userDefinedMetadata.wbc = meta
await writeFile(join(out, 'model.json'), JSON.stringify(modelJson))

const only = new Set((await readFile(resolve(args.heldout!), 'utf8')).split('\n').slice(1).map((l) => l.split(',')[0]!.trim()).filter(Boolean))
const evaluate = async (model: string, tree: string, list: boolean): Promise<EvaluationReport> => {
  const r = await evaluateFolder(tree, { model, ...(list ? { only } : {}) })
  console.log(`${basename(model)} on ${basename(tree)}${list ? ' (held-out list)' : ''}: ${r.n} cells, accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.backend}, input ${r.model.inputNormalisation})`)
  return r
}
const pbc = join(DS, 'pbc-wbc')
const chula = join(DS, 'chula-wbc')
const figures = {
  base: { pbcHeldOut: await evaluate(base, pbc, true), chulaZeroShot: await evaluate(base, chula, false) },
  greyWorld: { pbcHeldOut: await evaluate(out, pbc, true), chulaZeroShot: await evaluate(out, chula, false) }
}
const strip = (r: EvaluationReport) => ({ n: r.n, accuracy: r.accuracy, macroF1: r.macroF1, macroPrecision: r.macroPrecision, macroRecall: r.macroRecall, perClass: r.perClass, confusion: r.confusion, classes: r.classes })
// The Models screen's headline is metrics.heldOut.uint8 (the base's held-out PBC cells, with this model's inputs).
meta.metrics = { heldOut: { uint8: strip(figures.greyWorld.pbcHeldOut) }, siteZeroShot: { 'chula-wbc': strip(figures.greyWorld.chulaZeroShot) } }
await writeFile(join(out, 'model.json'), JSON.stringify(modelJson))

const baseCard = JSON.parse(await readFile(join(base, '..', 'card.json'), 'utf8')) as Record<string, any>
const files: Record<string, number> = {}
for (const f of ['model.json', 'weights.bin']) files[f] = (await stat(join(out, f))).size
const commands = {
  ship: `WBC_DATASETS=<datasets> npx tsx scripts/ship-grey-world-model.ts --base ${shown(base)} --out ${shown(out)}`,
  evaluateHeldOut: `node bin/wbc.js evaluate $WBC_DATASETS/pbc-wbc --list ${shown(resolve(args.heldout!))} --model ${shown(out)}`,
  evaluateSite: `node bin/wbc.js evaluate $WBC_DATASETS/chula-wbc --model ${shown(out)}`,
  recalibrate: `node bin/wbc.js model recalibrate ${shown(out)} --heldout ${shown(resolve(args.heldout!))} --data $WBC_DATASETS/pbc-wbc --other $WBC_DATASETS/pbc-other --card-dir ${shown(out)} --target 0.05`
}
const card: Record<string, any> = {
  ...baseCard,
  name,
  createdAt: new Date().toISOString(),
  model: { ...baseCard.model, inputNormalisation: 'grey-world', greyWorldTarget: GREY_WORLD_TARGET, files, modelBytes: files['model.json']! + files['weights.bin']!, shippedBytes: files['model.json']! + files['weights.bin']! },
  derivedFrom: meta.derivedFrom,
  evaluation: {
    backend: figures.greyWorld.pbcHeldOut.backend,
    uint8: strip(figures.greyWorld.pbcHeldOut),
    base: strip(figures.base.pbcHeldOut),
    siteZeroShot: { dataset: '$WBC_DATASETS/chula-wbc', greyWorld: strip(figures.greyWorld.chulaZeroShot), base: strip(figures.base.chulaZeroShot) }
  },
  ood: null,
  notes: [`${baseCard.name}'s weights with grey-world inputs; training as in ${baseCard.name}'s card (its settings, split and held-out list are this model's).`],
  commands,
  seconds: (Date.now() - t0) / 1000
}
delete card.target
await writeFile(join(out, 'card.json'), JSON.stringify(card, null, 1) + '\n')

const pct = (v: number) => `${(100 * v).toFixed(2)}%`
const row = (label: string, r: EvaluationReport) => `| ${label} | ${r.n} | **${pct(r.accuracy)}** | ${pct(r.macroF1)} | ${r.classes.map((k) => pct(r.perClass[k]!.recall)).join(' / ')} |`
const right = (r: EvaluationReport) => r.confusion.reduce((a, row, i) => a + row[i]!, 0)
const readme = `# Shipped model: ${name} (${baseMeta.name} with grey-world inputs)

\`${name}/\` is the shipped five-class W-Net (\`${baseMeta.name}\`, card in \`resources/models/README.md\`)
with **the same weights, byte for byte** (weights.bin SHA-256 \`${weightsSha256}\`), run on
colour-normalised inputs: before the paper's per-image standardisation, each channel of a cell is scaled so
that the cell's mean colour becomes PBC's mean colour (${describeInputNormalisation('grey-world')};
\`inputNormalisation: "grey-world"\` in \`model.json\`'s \`userDefinedMetadata.wbc\`, which every
workstation path from pixels to the network applies: inference on TensorFlow.js and ONNX Runtime,
\`wbc evaluate\`, training, adaptation, the synthetic-cell judge).

Why: another laboratory's cells (other microscope, camera and stain) are darker, bluer and of lower contrast
than PBC's; normalising their colour brings a new site's cells closer to what the network learnt, so a new
site starts higher, at no measurable cost on PBC. It is a separate model, not a change to \`${baseMeta.name}\`:
a model's preprocessing is part of the model, and labs with results from \`${baseMeta.name}\` keep them.
\`${baseMeta.name}\` stays the default folder; choose this one with \`wbc model default\` or the Models screen.

## Figures (measured ${card.createdAt.slice(0, 10)}, backend ${card.evaluation.backend})

Same cells for both models: the ${figures.base.pbcHeldOut.n} PBC cells \`${baseMeta.name}\` never trained on
(\`wnet-pbc-heldout.csv\`), and all ${figures.base.chulaZeroShot.n} cells of chula-wbc (another site, never trained on: zero-shot).

| model, cells | n | accuracy | macro F1 | recall N / E / B / L / M |
|---|---|---|---|---|
${row(`${baseMeta.name}, PBC held-out`, figures.base.pbcHeldOut)}
${row(`${name}, PBC held-out`, figures.greyWorld.pbcHeldOut)}
${row(`${baseMeta.name}, chula-wbc zero-shot`, figures.base.chulaZeroShot)}
${row(`${name}, chula-wbc zero-shot`, figures.greyWorld.chulaZeroShot)}

On PBC the two differ by ${Math.abs(right(figures.base.pbcHeldOut) - right(figures.greyWorld.pbcHeldOut))} of ${figures.base.pbcHeldOut.n} cells
(${right(figures.base.pbcHeldOut)} vs ${right(figures.greyWorld.pbcHeldOut)} right; the binomial standard error of an accuracy
near 97.5% on ${figures.base.pbcHeldOut.n} cells is about 0.5 points). On Chula grey-world inputs lift accuracy by
${(100 * (figures.greyWorld.chulaZeroShot.accuracy - figures.base.chulaZeroShot.accuracy)).toFixed(1)} points, but the model is still far from
useful there on its own: ${figures.greyWorld.chulaZeroShot.classes.filter((k) => figures.greyWorld.chulaZeroShot.perClass[k]!.recall === 0).join(' and ') || 'no class'} are never found. A site's cells
still need adaptation (\`wbc adapt\`, "Adapt to this site"; docs/ml-results.md, "Site adaptation").

## Training data and attribution

As \`${baseMeta.name}\` (the same weights): trained on the PBC dataset, five WBC classes:

> ${baseCard.data.attribution}

The model is a work derived from these images; this attribution must be kept wherever the model is shipped.

## Unidentified (out-of-distribution) routing

Not calibrated: \`${baseMeta.name}\`'s detector was fitted on un-normalised inputs, so it is not carried
over; until the command below is run, only the review's confidence threshold routes cells to Unidentified.

## Commands that produce these figures

\`\`\`
${commands.ship}
${commands.evaluateHeldOut}
${commands.evaluateSite}
${commands.recalibrate}
\`\`\`
`
await writeFile(join(out, 'README.md'), readme)
console.log(`wrote ${shown(out)} (${((Date.now() - t0) / 1000).toFixed(0)} s, backend ${backend.name})`)
