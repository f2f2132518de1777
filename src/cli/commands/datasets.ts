// `wbc datasets check|prepare-pbc` (npm run datasets): the full public
// datasets behind the training runs, benchmarks and published figures. check
// verifies a local copy ($WBC_DATASETS) file by file against the committed
// manifests (datasets/*.csv) and says where to get what is missing;
// prepare-pbc lays out pbc-wbc/ and pbc-other/ from the PBC archive as
// published. The tests do not need them (test/fixtures/cells).
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkDataset, DATASET_FOLDERS, prepareFromArchive, readDatasetManifest } from '../../main/datasets'
import { datasetsDir } from '../../main/paths'
import type { CliCommand } from '../context'

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const manifest = (d: string) => readDatasetManifest(join(REPO_ROOT, 'datasets', `${d}.csv`))

const WHERE: Record<string, string> = {
  'pbc-wbc': 'PBC dataset, Mendeley Data doi:10.17632/snkd93bnjr.1 (CC BY 4.0): download and unzip it, then `wbc datasets prepare-pbc UNZIPPED_FOLDER`',
  'pbc-other': 'PBC dataset, as pbc-wbc (`wbc datasets prepare-pbc` writes both)',
  'chula-wbc': 'Chulalongkorn University WBC set (MIT): cut-outs of its labelled frames; see datasets/README.md'
}

export const datasetsCommand: CliCommand = (cli) => {
  const g = cli.group('datasets', 'the full public datasets (training, benchmarks, published figures): check a local copy, prepare it from the published archives')

  g.command('check')
    .description('check the datasets folder file by file (SHA-256) against datasets/*.csv; say where to get what is missing')
    .argument('[dir]', 'datasets folder (default: $WBC_DATASETS, else ../shared/datasets beside the checkout)')
    .option('--json', 'print the result as JSON')
    .action((dirArg: string | undefined, o: { json?: boolean }) => {
      const dir = dirArg ? resolve(dirArg) : datasetsDir(REPO_ROOT, cli.io.env)
      const results = DATASET_FOLDERS.map((d) => (dir ? checkDataset(join(dir, d), manifest(d)) : { folder: d, expected: manifest(d).length, ok: 0, missing: [], changed: [], extra: [], absent: true }))
      if (o.json) cli.json({ dir: dir ?? null, results })
      else {
        cli.out(dir ? `Datasets folder: ${dir}` : 'No datasets folder: set WBC_DATASETS (or pass DIR).')
        for (const [i, r] of results.entries()) {
          const d = DATASET_FOLDERS[i]!
          const state = r.ok === r.expected ? 'complete' : r.ok === 0 ? 'missing' : 'incomplete'
          cli.out(`  ${d.padEnd(10)} ${state}: ${r.ok} of ${r.expected} files match the manifest${r.changed.length ? `, ${r.changed.length} changed` : ''}${r.extra.length ? `, ${r.extra.length} not in the manifest` : ''}`)
          if (state !== 'complete') cli.out(`             get it: ${WHERE[d]}`)
        }
      }
      if (results.some((r) => r.ok !== r.expected || r.changed.length)) cli.exitCode = 1
    })

  g.command('prepare-pbc')
    .description('copy the development subset of the unzipped PBC archive into pbc-wbc/ and pbc-other/, each file checked against datasets/*.csv')
    .argument('<source>', 'the unzipped PBC archive (class folders such as basophil/, ig/ up to three levels down)')
    .option('--out <dir>', 'datasets folder to write (default: $WBC_DATASETS)')
    .option('--json', 'print the result as JSON')
    .action((source: string, o: { out?: string; json?: boolean }) => {
      const out = o.out ? resolve(o.out) : cli.io.env.WBC_DATASETS ? resolve(cli.io.env.WBC_DATASETS) : undefined
      if (!out) throw new Error('say where to write: --out DIR, or set WBC_DATASETS')
      const results = (['pbc-wbc', 'pbc-other'] as const).map((d) => prepareFromArchive(resolve(source), join(out, d), manifest(d)))
      if (o.json) cli.json(results)
      else for (const r of results) cli.out(`${r.folder}: ${r.copied} files copied${r.missing.length ? `, ${r.missing.length} not in the archive` : ''}${r.changed.length ? `, ${r.changed.length} with other bytes than published (not copied)` : ''}`)
      if (results.some((r) => r.missing.length || r.changed.length)) cli.exitCode = 1
    })
}
