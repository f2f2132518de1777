// `wbc model export|import|list|default`: stored models to and from standard
// TensorFlow.js folders (model.json + weights), so others can load them.
import { getModel, listModels, setDefaultModel } from '../../main/store/models'
import { ensureShippedModel, exportModel, importModel, resolveStoredModel } from '../../main/ml/registry'
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
          `${String(m.id).padStart(4)}${m.isDefault ? ' *' : '  '} ${m.name.padEnd(28)} ${m.architecture} ${m.inputSize}px ${m.quantization.padEnd(7)} ${m.provenance}${m.runId !== null ? ` (run ${m.runId}${m.fold !== null ? ` fold ${m.fold + 1}` : ''})` : ''} ${(m.byteSize / 1e6).toFixed(1)} MB`
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
      cli.out(`stored as model ${id}: ${m.architecture} ${m.inputSize}px, classes ${m.classes.join(', ')}, ${m.quantization}`)
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
}
