#!/usr/bin/env -S npx tsx
// Where a warm slide's classification spends its time, in the core and in
// one process: two 200-cell slides of the fixture cells (as the browser
// speed test builds them) imported into a temporary store with the shipped
// model as the default, each classified through the slides service (the Review
// screen's job runs the same call), printing the ML core's own split (pixels
// from the preprocessed cache, forward passes with the Unidentified scores,
// storing the predictions) and the reads the screen makes after it (gallery,
// differential, slide list). The first slide starts the inference pool; the
// second finds it warm. What the browser adds (the job's hops, events,
// fetching) is the speed test's: test/e2e/classify-speed.e2e.test.ts.
//   npx tsx scripts/profile-warm-classify.ts
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { main } from '../src/cli/main'
import { closeInferencePool } from '../src/main/ml/infer/inference-pool'
import { slideDifferential, slideGallery } from '../src/main/review'
import { classifySlide, slideSummaries } from '../src/main/services/slides'
import { openStore } from '../src/main/store'
import { listSlides } from '../src/main/store/slides'
import { datasetPath } from '../test/helpers/datasets'

async function wbc(args: string[]): Promise<void> {
  const out = new PassThrough()
  out.resume()
  const code = await main(args, { stdout: out, stderr: out, env: {}, stdin: new PassThrough() })
  if (code !== 0) throw new Error(`wbc ${args.join(' ')} failed`)
}

const CLASSES = ['neutrophil', 'eosinophil', 'basophil', 'lymphocyte', 'monocyte']
const tmp = mkdtempSync(join(tmpdir(), 'wbc-profile-'))
try {
  const cells = (dataset: string, cls: string) => readdirSync(datasetPath(dataset, cls)).sort().map((f) => join(datasetPath(dataset, cls), f))
  const plan: Record<string, string[]> = { 'SLIDE-A': [], 'SLIDE-B': [] }
  for (const cls of CLASSES) {
    const pbc = cells('pbc-wbc', cls)
    plan['SLIDE-A']!.push(...pbc.slice(0, 40))
    plan['SLIDE-B']!.push(...pbc.slice(40, 75), ...cells('chula-wbc', cls).slice(0, 5))
  }
  for (const [slide, files] of Object.entries(plan)) {
    const dir = join(tmp, 'export', slide)
    mkdirSync(dir, { recursive: true })
    for (const f of files) copyFileSync(f, join(dir, basename(f)))
  }
  const dbPath = join(tmp, 'wbc.sqlite')
  await wbc(['import', join(tmp, 'export'), '--db', dbPath])
  await wbc(['model', 'list', '--db', dbPath])
  const db = openStore(dbPath)
  console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`)
  const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`
  for (const s of listSlides(db)) {
    const t0 = performance.now()
    const { result: r } = await classifySlide(db, s.id)
    const total = ms(t0)
    const sec = (v: number) => `${(v * 1000).toFixed(0)} ms`
    console.log(`${s.sampleId} (${s.imageCount} cells, ${r.backend}): ${total}; pixels ${sec(r.seconds.pixels)}, forward passes and scores ${sec(r.seconds.inference)}, storing ${sec(r.seconds.store)}`)
    const t1 = performance.now()
    slideGallery(db, s.id, { order: 'ascending' })
    const g = ms(t1)
    const t2 = performance.now()
    slideDifferential(db, s.id)
    const d = ms(t2)
    const t3 = performance.now()
    slideSummaries(db)
    console.log(`  then the screen's reads: gallery ${g}, differential ${d}, slide list ${ms(t3)}`)
  }
  db.close()
  await closeInferencePool()
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
