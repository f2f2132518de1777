// `wbc blind create|invite|results|ls`: blind expert sessions from the command line
// (the expert answers in the app's full-screen Blind session screen).
import { writeFile } from 'node:fs/promises'
import { createBlindSession, closeSession, inviteReader, listSessionViews, sessionReaders } from '../../main/blind/session'
import { blindResults, formatBlindResults } from '../../main/blind/results'
import { LOCAL_OPERATOR } from '../../main/people'
import type { CliCommand } from '../context'

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`)
  return n
}

export const blindCommand: CliCommand = (cli) => {
  const blind = cli.group('blind', 'blind expert sessions: real and generated cells, shuffled, with no hint of which is which')

  blind
    .command('create')
    .description('create a session from a recipe (cells drawn and shuffled from a secret random seed, rendered alike in batches)')
    .requiredOption('--name <name>', 'session name (shown to the expert: say nothing about the mix)')
    .option('--real <n>', 'real cells per class', int, 10)
    .option('--generated <n>', 'generated cells per class', int, 10)
    .option('--classes <list>', 'comma-separated classes (default: the five WBC classes)')
    .option('--dataset <id>', 'real cells from this dataset only', int)
    .option('--generators <ids>', 'generated cells from these generator ids only (comma-separated)')
    .option('--no-ask-origin', 'do not ask real or generated')
    .option('--size <px>', 'side of the PNG every cell is shown at', int, 256)
    .option('--json', 'print as JSON')
    .action(async (o: { name: string; real: number; generated: number; classes?: string; dataset?: number; generators?: string; askOrigin: boolean; size: number; json?: boolean }) => {
      const db = cli.openDb()
      const bar = cli.progress()
      const s = await createBlindSession(db, {
        name: o.name,
        classes: o.classes?.split(',').map((c) => c.trim()).filter(Boolean),
        realPerClass: o.real,
        generatedPerClass: o.generated,
        datasetId: o.dataset,
        generatorIds: o.generators?.split(',').map((x) => int(x.trim())),
        askOrigin: o.askOrigin,
        displaySize: o.size,
        createdBy: LOCAL_OPERATOR.name
      }, { onProgress: bar.update }).finally(() => bar.stop())
      if (o.json) cli.json(s)
      else cli.out(`blind session #${s.id} "${s.name}": ${s.total} cells, ${s.classes.join(', ')}${s.askOrigin ? ', asks real or generated' : ''}`)
    })

  blind
    .command('invite')
    .description('invite a reader (a user with the reader role) to take a session; a reader sees only the sessions they are invited to')
    .argument('<session>', 'session id', int)
    .option('--reader <name...>', 'login name of the reader (repeatable)')
    .option('--json', 'print everyone invited as JSON')
    .action((id: number, o: { reader?: string[]; json?: boolean }) => {
      const db = cli.openDb()
      for (const name of o.reader ?? []) inviteReader(db, id, { userId: LOCAL_OPERATOR.userId, name: LOCAL_OPERATOR.name }, name)
      const r = sessionReaders(db, id)
      if (o.json) return cli.json(r)
      cli.out(`blind session #${id}: ${r.readers.length ? r.readers.map((x) => x.name).join(', ') : 'no readers'} invited`)
    })

  blind
    .command('ls')
    .description('list sessions')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const rows = listSessionViews(cli.openDb())
      if (o.json) return cli.json(rows)
      if (!rows.length) return cli.out('no blind sessions')
      for (const s of rows) cli.out(`#${s.id}  ${s.name}  ${s.status}  ${s.answered}/${s.total} answered`)
    })

  blind
    .command('close')
    .description('close a session (no more answers; results become available)')
    .argument('<id>', 'session id', int)
    .action((id: number) => {
      const s = closeSession(cli.openDb(), id)
      cli.out(`blind session #${s.id}: ${s.status}, ${s.answered}/${s.total} answered`)
    })

  blind
    .command('results')
    .description("a closed session's report: confusion matrix, accuracy on real and generated cells, detection rate with 95% CI")
    .argument('<id>', 'session id', int)
    .option('--close', 'close the session first')
    .option('--csv <file>', 'also write one row per cell to this CSV file')
    .option('--json', 'print as JSON')
    .action(async (id: number, o: { close?: boolean; csv?: string; json?: boolean }) => {
      const db = cli.openDb()
      if (o.close) closeSession(db, id)
      const r = blindResults(db, id)
      if (o.csv) await writeFile(o.csv, r.csv)
      if (o.json) cli.json({ ...r, csv: undefined })
      else cli.out(formatBlindResults(r) + (o.csv ? `\n\nCSV: ${o.csv}` : ''))
    })
}
