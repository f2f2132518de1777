#!/usr/bin/env -S npx tsx
// GAN training benchmark (`npm run bench:gan`): seconds per DCGAN training
// step, in ONE process with the cases alternating in rounds, so all see the
// same machine load (compare the ratios; absolute figures depend on it):
// 1. the `cpu` preset as it was before #13 (upsampling first), trained the
//    way it was: the layers models' apply(), the stock strided
//    Conv2DBackpropInput and ResizeNearestNeighborGrad kernels and the
//    gather im2col of the filter gradient;
// 2. the same, but with today's kernels (what row 1 measured until the
//    kernels' switches covered all of #13: see BENCHMARKS.md);
// 3. the same network trained the way it is now (gan-forward.ts and the
//    col2im kernel): the speed-up of the code alone;
// 4. the `cpu` preset now (upsampling last, more filters), trained now;
// 5. the five-class conditional GAN (FIVE_CLASS_SETTINGS, batch 20).
// Each round runs trainGan() for a few steps; a round's first step (warm-up,
// model build) is not timed. Wall and CPU seconds (process.cpuUsage, less
// sensitive to other load) per step, and per cell (real cells per step).
//
//   npm run bench:gan                       # 4 rounds of 6 steps each
//   npm run bench:gan -- --rounds 2 --steps 4
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { initBackend } from '../src/main/ml/model/tfjs-backend'
import { convKernelOptions, resizeKernelOptions } from '../src/main/ml/train/kernels/index'
import { CPU_PRESET_BEFORE_13, FIVE_CLASS_SETTINGS, PRESET_SETTINGS, type GanSettings } from '../src/main/synthetic/dcgan'
import { trainGan } from '../src/main/synthetic/train'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    steps: { type: 'string', default: '6' }
  }
})

async function main() {
  const info = await initBackend('auto')
  const rounds = Number(args.rounds)
  const steps = Number(args.steps)
  // Random cells (64 px, 100 of them, 20 per class): the step's cost does not depend on the pixels.
  let seed = 1
  const pixels = Uint8Array.from({ length: 100 * 64 * 64 * 3 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24))
  const labels = Uint8Array.from({ length: 100 }, (_, i) => i % 5)
  const load0 = loadavg()[0]
  const cases: { name: string; settings: GanSettings; forward: 'layers' | 'direct'; kernels: 'before' | 'now' }[] = [
    { name: '`cpu` before #13 (upsampling first), trained as before (layers apply(), stock strided input and resize gradients, gather im2col)', settings: CPU_PRESET_BEFORE_13, forward: 'layers', kernels: 'before' },
    { name: 'the same, trained as before but with the kernels of #13', settings: CPU_PRESET_BEFORE_13, forward: 'layers', kernels: 'now' },
    { name: 'the same network, trained now (gan-forward.ts, #13 kernels)', settings: CPU_PRESET_BEFORE_13, forward: 'direct', kernels: 'now' },
    { name: '`cpu` now (upsampling last), trained now', settings: PRESET_SETTINGS.cpu, forward: 'direct', kernels: 'now' },
    { name: 'five-class conditional (batch 20), trained now', settings: FIVE_CLASS_SETTINGS, forward: 'direct', kernels: 'now' }
  ]
  const useKernels = (k: 'before' | 'now') => {
    convKernelOptions.stridedCol2im = k === 'now'
    convKernelOptions.planarIm2col = k === 'now'
    resizeKernelOptions.exact2x = k === 'now'
  }
  const acc = cases.map(() => ({ wall: 0, cpu: 0, n: 0 }))
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      useKernels(c.kernels)
      let t = 0
      let u = process.cpuUsage()
      await trainGan({
        settings: c.settings,
        pixels,
        labels: c.settings.classes ? labels : undefined,
        steps: steps + 1,
        checkpointEvery: 1e9,
        sampleEvery: 1e9,
        forward: c.forward,
        onProgress: (p) => {
          const now = performance.now()
          const cu = process.cpuUsage()
          if (p.done > 1) {
            acc[i].wall += (now - t) / 1000
            acc[i].cpu += (cu.user - u.user + cu.system - u.system) / 1e6
            acc[i].n++
          }
          t = now
          u = cu
        }
      })
    }
  }
  useKernels('now')
  const res = cases.map((c, i) => ({ name: c.name, batch: c.settings.batchSize, steps: acc[i].n, wall: acc[i].wall / acc[i].n, cpu: acc[i].cpu / acc[i].n }))
  const day = new Date().toISOString().slice(0, 10)
  console.log(`GAN training step, 64 px, backend ${info.name}, ${day}, ${rounds} rounds x ${steps} timed steps per case, ` +
    `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, load average ${load0.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`)
  console.log('| case | batch | steps timed | wall s/step | CPU s/step | step rate vs first row (wall / CPU) | CPU ms per real cell |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of res) {
    console.log(`| ${r.name} | ${r.batch} | ${r.steps} | ${r.wall.toFixed(3)} | ${r.cpu.toFixed(3)} | ${(res[0].wall / r.wall).toFixed(2)}x / ${(res[0].cpu / r.cpu).toFixed(2)}x | ${((1000 * r.cpu) / r.batch).toFixed(1)} |`)
  }
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
