// `wbc export dataset NAME OUT`: a dataset's original images as class folders plus a CSV manifest.
import { exportDataset } from '../../main/export/dataset-export'
import type { CliCommand } from '../context'

export const exportDatasetCommand: CliCommand = (cli) => {
  cli
    .group('export', 'export data out of the store')
    .command('dataset')
    .description('write a dataset\'s original images as one folder per label plus manifest.csv (re-importable with `wbc import`)')
    .argument('<name>', 'dataset name (see `wbc ls`)')
    .argument('<out>', 'new or empty folder to write into')
    .option('--json', 'print the result as JSON')
    .action((name: string, out: string, o: { json?: boolean }) => {
      const bar = o.json ? undefined : cli.progress()
      try {
        const r = exportDataset(cli.openDb(), name, out, { onProgress: bar?.update })
        bar?.stop()
        if (o.json) cli.json(r)
        else cli.out(`Exported ${r.images} images of dataset "${r.dataset}" to ${r.outDir} (manifest: ${r.manifest})`)
      } finally {
        bar?.stop()
      }
    })
}
