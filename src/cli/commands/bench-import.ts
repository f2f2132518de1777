// `wbc bench import` (npm run bench:import): imports a real dataset into a
// fresh temporary database and records images/s and peak memory in
// BENCHMARKS.md, so the figures there are measured, never typed in.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importPath } from '../../main/import/index'
import { openStore } from '../../main/store/db'
import { datasetsDir, DATASETS_HINT } from '../../main/paths'
import type { CliCommand } from '../context'

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const START = '<!-- bench:import:start -->'
const END = '<!-- bench:import:end -->'
const HEADER = '| date | dataset | images | seconds | images/s | peak RSS | machine | command |\n|---|---|---|---|---|---|---|---|'

export interface ImportBenchResult {
  date: string
  dataset: string
  images: number
  failed: number
  seconds: number
  imagesPerSecond: number
  peakRssMiB: number
  machine: string
}

export const benchImportCommand: CliCommand = (cli) => {
  cli
    .group('bench', 'measure performance and record it in BENCHMARKS.md')
    .command('import')
    .description('import a dataset into a fresh temporary database; record images/s and peak memory')
    .argument('[path]', 'dataset folder (default: pbc-wbc in $WBC_DATASETS)')
    .option('--no-write', 'do not add the result to BENCHMARKS.md')
    .option('--concurrency <n>', 'files decoded at once', (v) => parseInt(v, 10))
    .option('--json', 'print the result as JSON')
    .action(async (pathArg: string | undefined, o: { write: boolean; concurrency?: number; json?: boolean }) => {
      const path = pathArg ?? defaultDataset()
      const dir = mkdtempSync(join(tmpdir(), 'wbc-bench-'))
      const load = loadavg()[0]
      let peak = process.memoryUsage().rss
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
      const bar = o.json ? undefined : cli.progress()
      try {
        const db = openStore(join(dir, 'bench.sqlite'))
        const report = await importPath(db, path, { concurrency: o.concurrency, onProgress: bar?.update })
        db.close()
        bar?.stop()
        clearInterval(sampler)
        peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024)
        const result: ImportBenchResult = {
          date: new Date().toISOString().slice(0, 10),
          dataset: displayPath(report.sourcePath),
          images: report.counts.imported + report.counts.duplicate,
          failed: report.counts.failed,
          seconds: round(report.seconds, 1),
          imagesPerSecond: round(report.imagesPerSecond, 0),
          peakRssMiB: round(peak / 2 ** 20, 0),
          machine: `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${round(totalmem() / 2 ** 30, 0)} GiB RAM, ${platform()} ${release()}, Node ${process.version}, load average ${load.toFixed(1)} at start`
        }
        if (o.json) cli.json(result)
        else
          cli.out(
            `Imported ${result.images} images (${result.failed} failed) in ${result.seconds} s: ${result.imagesPerSecond} images/s, peak RSS ${result.peakRssMiB} MiB\n${result.machine}`
          )
        if (o.write) {
          const file = writeBenchmark(result)
          cli.out(`Recorded in ${relative(process.cwd(), file) || file}`)
        }
      } finally {
        clearInterval(sampler)
        bar?.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    })
}

function defaultDataset(): string {
  const base = datasetsDir(REPO_ROOT)
  if (!base) throw new Error(`no dataset given and ${DATASETS_HINT}`)
  return join(base, 'pbc-wbc')
}

function displayPath(p: string): string {
  // BENCHMARKS.md is committed and must not name this machine's folders:
  // under the datasets folder as $WBC_DATASETS/..., else relative to the checkout.
  const base = datasetsDir(REPO_ROOT)
  const abs = resolve(p)
  if (base && abs.startsWith(base + '/')) return `$WBC_DATASETS/${abs.slice(base.length + 1)}`
  return relative(REPO_ROOT, p).split('\\').join('/')
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Adds a row to the Import table of BENCHMARKS.md (creating the file or section if missing). */
export function writeBenchmark(r: ImportBenchResult, file = join(REPO_ROOT, 'BENCHMARKS.md')): string {
  const row = `| ${r.date} | ${r.dataset} | ${r.images} | ${r.seconds} | ${r.imagesPerSecond} | ${r.peakRssMiB} MiB | ${r.machine} | \`npm run bench:import\` |`
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n'
  if (!text.includes(START)) {
    text +=
      `\n## Import\n\nImport of a dataset into a fresh database, end to end (walk, read, hash, decode, crop, resize, store originals, labels and preprocessed pixels). ` +
      `Run \`npm run bench:import\`; each run adds a row.\n\n${START}\n${HEADER}\n${END}\n`
  }
  const before = text.slice(0, text.indexOf(END))
  text = before.replace(/\n*$/, '\n') + row + '\n' + text.slice(text.indexOf(END))
  writeFileSync(file, text)
  return file
}
