// `wbc worklist import FILE`, `wbc slide order SLIDE [--set FIELD=VALUE ...]`
// and `wbc ranges show|set|reset`: a slide's order and patient data, a LIS
// worklist matched by sample id, and the lab's reference intervals, through
// the same order and results cores the app uses.
import { readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import { ORDER_FIELDS, type OrderField, type OrderImportReport, type OrderUpdate } from '../../shared/order'
import type { ReferenceTable, ReferenceTableView } from '../../shared/ranges'
import { importWorklist, orderHistory, readOrderFile, slideOrder, updateSlideOrder } from '../../main/order'
import { DEFAULT_REFERENCE_TABLE, referenceTable, setReferenceTable } from '../../main/results'
import { parseInput } from '../../shared/api'
import type { CliCommand } from '../context'
import { findSlide } from './slide'

const defaultWho = (): string => {
  try {
    return userInfo().username
  } catch {
    return 'cli'
  }
}

export function summariseOrders(r: OrderImportReport): string {
  const lines = [`${r.rows} row${r.rows === 1 ? '' : 's'} read; ${r.updated.length} slide${r.updated.length === 1 ? '' : 's'} updated${r.updated.length ? ` (${r.updated.join(', ')})` : ''}`]
  if (r.unmatched.length) lines.push(`No slide for: ${r.unmatched.join(', ')}`)
  if (r.signed.length) lines.push(`Signed, left unchanged: ${r.signed.join(', ')}`)
  for (const k of r.keptReviewerValues) lines.push(`${k.sampleId} ${k.field}: kept "${k.kept ?? ''}" set by a person (file says "${k.file ?? ''}")`)
  for (const p of r.problems) lines.push(p.message)
  return lines.join('\n')
}

function printTable(t: ReferenceTableView): string {
  const lines = [`${t.name}${t.id === null ? ' (built in)' : ` (set by ${t.who} at ${t.at})`}`, `Source: ${t.source}`]
  lines.push('class        measure   sex  age (y)   low     high    crit.low crit.high')
  const n = (x: number | null) => (x === null ? '-' : String(x)).padEnd(8)
  for (const r of t.intervals) {
    lines.push(
      `${r.class.padEnd(12)} ${r.measure.padEnd(9)} ${(r.sex ?? 'any').padEnd(4)} ${`${r.ageFromYears}-${r.ageToYears ?? ''}`.padEnd(9)} ${n(r.low)}${n(r.high)}${n(r.criticalLow)}${n(r.criticalHigh)}`
    )
  }
  return lines.join('\n')
}

export const orderCommand: CliCommand = (cli) => {
  const worklist = cli.group('worklist', "a LIS worklist: order and patient data matched to slides by sample id")
  worklist
    .command('import')
    .description('read a worklist CSV (columns: docs/lis.md) and give each slide its row; values a person set are kept')
    .argument('<file>', 'CSV file')
    .option('--who <name>', 'who imports it (audit trail)', defaultWho())
    .option('--json', 'print the report as JSON')
    .action((file: string, o: { who: string; json?: boolean }) => {
      const path = resolve(file)
      const parsed = readOrderFile(path)
      if (!parsed) throw new Error(`${path} names no order column (sample id, order id, patient id ...; see docs/lis.md)`)
      const report = importWorklist(cli.openDb(), parsed, o.who)
      if (o.json) cli.json(report)
      else cli.out(summariseOrders(report))
      if (report.problems.length) cli.exitCode = 1
    })

  const slide = cli.group('slide', "a slide's review: differential and report exports")
  slide
    .command('order')
    .description(`print a slide's order and patient data with its change history; --set FIELD=VALUE corrects one (fields: ${ORDER_FIELDS.join(', ')}); refused once signed`)
    .argument('<slide>', 'sample id (or slide id)')
    .option('--set <field=value...>', 'set a field (empty value clears it)')
    .option('--why <reason>', 'why it is changed', '')
    .option('--who <name>', 'who changes it (audit trail)', defaultWho())
    .option('--json', 'print as JSON')
    .action((ref: string, o: { set?: string[]; why: string; who: string; json?: boolean }) => {
      const db = cli.openDb()
      const slideId = findSlide(db, ref)
      if (o.set?.length) {
        const changes: OrderUpdate = {}
        for (const kv of o.set) {
          const i = kv.indexOf('=')
          const field = (i < 0 ? kv : kv.slice(0, i)) as OrderField
          if (i < 0 || !ORDER_FIELDS.includes(field)) throw new Error(`--set takes FIELD=VALUE with FIELD one of ${ORDER_FIELDS.join(', ')}`)
          changes[field] = kv.slice(i + 1) === '' ? null : kv.slice(i + 1)
        }
        updateSlideOrder(db, { slideId, changes, who: o.who, why: o.why })
      }
      const order = slideOrder(db, slideId)
      const history = orderHistory(db, slideId)
      if (o.json) {
        cli.json({ order, history })
        return
      }
      const lines = [`${order.sampleId}${order.readOnly ? ' (signed: read-only)' : ''}`]
      for (const f of ORDER_FIELDS) lines.push(`  ${f.padEnd(12)} ${order[f] ?? '-'}`)
      if (history.length) {
        lines.push('History:')
        for (const h of history) lines.push(`  ${h.at} ${h.who} (${h.source}) ${h.field}: ${h.old ?? '-'} -> ${h.new ?? '-'}${h.why ? ` (${h.why})` : ''}`)
      }
      cli.out(lines.join('\n'))
    })

  const ranges = cli.group('ranges', 'reference intervals and critical limits (default: adult table, docs/lis.md)')
  ranges
    .command('show')
    .description('print the reference table in force and its source')
    .option('--json', 'print as JSON (the format `ranges set` reads)')
    .action((o: { json?: boolean }) => {
      const t = referenceTable(cli.openDb())
      if (o.json) cli.json(t)
      else cli.out(printTable(t))
    })
  ranges
    .command('set')
    .description('put a table in force from a JSON file {name, source, intervals: [...]} (as `ranges show --json` prints)')
    .argument('<file>', 'JSON file')
    .option('--why <reason>', 'why it changes', '')
    .option('--who <name>', 'who sets it (audit trail)', defaultWho())
    .action((file: string, o: { why: string; who: string }) => {
      const raw = JSON.parse(readFileSync(resolve(file), 'utf8')) as Partial<ReferenceTable>
      // The contract's schema checks every row, as it does for the app.
      const input = parseInput('ranges.set', { table: { name: raw?.name, source: raw?.source ?? '', intervals: raw?.intervals }, why: o.why })
      if (!input.ok) throw new Error(`${file}: ${(input.error.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ')}`)
      const t = setReferenceTable(cli.openDb(), input.value.table!, o.who, o.why)
      cli.out(printTable(t))
    })
  ranges
    .command('reset')
    .description('put the default adult table back in force')
    .option('--who <name>', 'who resets it (audit trail)', defaultWho())
    .action((o: { who: string }) => {
      cli.out(printTable(setReferenceTable(cli.openDb(), DEFAULT_REFERENCE_TABLE, o.who, 'back to the default adult table')))
    })
}
