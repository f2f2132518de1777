// `wbc slide show SLIDE`, `wbc slide export SLIDE --format F --out FILE` and
// `wbc slide send SLIDE [--to HOST:PORT]`: a slide's live differential, its
// report as CSV, HL7 v2, FHIR R4 JSON or PDF (preliminary until signed), and
// its signed report sent to the LIS through the outbox, from the same review
// and LIS cores the app uses.
// `wbc slide sign SLIDE --user NAME --password-stdin --meaning TEXT` signs as
// a named verifier (or gives the second verification); `wbc slide settings`
// asks for (or drops) a second verification, per slide or lab-wide.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { REPORT_FORMATS, type ReportFormat } from '../../shared/review'
import { exportSlide, slideDifferential } from '../../main/review'
import { signSlideAs, slideReviewSettings } from '../../main/services/review'
import { LOCAL_OPERATOR } from '../../main/people'
import type { Db } from '../../main/store/db'
import { findSlide as findSlideRow } from '../../main/services/slides'
import type { CliCommand } from '../context'
import { deliverOutboxMessage, destinationOf, outboxView, queueSlideReport } from '../../main/lis'
import { describeOutboxMessage } from './outbox'

/** A slide by its sample id, else by its numeric row id. */
export function findSlide(db: Db, ref: string): number {
  return findSlideRow(db, ref).id
}

export const slideCommand: CliCommand = (cli) => {
  const slide = cli.group('slide', "a slide's review: differential and report exports")

  slide
    .command('show')
    .description("print a slide's live differential: count, % and exact 95% CI per class")
    .argument('<slide>', 'sample id (or slide id)')
    .option('--json', 'print as JSON')
    .action((ref: string, o: { json?: boolean }) => {
      const db = cli.openDb()
      const d = slideDifferential(db, findSlide(db, ref))
      if (o.json) {
        cli.json(d)
        return
      }
      const w = Math.max(10, ...d.counted.map((l) => l.label.length))
      const r = d.results
      const lines = d.counted.map((l) => {
        const lab = r?.lines.find((x) => x.label === l.label)
        const range = lab?.percent.range ? `  ref ${lab.percent.range.text} ${(lab.percent.flag ?? '').padEnd(2)}` : ''
        const abs = lab?.absolute ? `  ${lab.absolute.value.toFixed(2)} x10^9/L${lab.absolute.range ? ` ref ${lab.absolute.range.text}` : ''} ${lab.absolute.flag ?? ''}` : ''
        return `  ${l.label.padEnd(w)} ${String(l.count).padStart(4)}  ${l.percent.toFixed(1).padStart(5)}%  (${l.ciLow.toFixed(1)}-${l.ciHigh.toFixed(1)}%)${range}${abs}`.trimEnd()
      })
      for (const n of d.notCounted) {
        const per100 = r?.perHundredWbc.find((x) => x.label === n.label)
        lines.push(`  ${n.label.padEnd(w)} ${String(n.count).padStart(4)}  (not counted${per100 ? `; ${per100.per100.toFixed(1)} per 100 WBC` : ''})`)
      }
      lines.push(`  ${d.totalCounted} cells counted, target ${d.targetCount} ${d.targetReached ? 'reached' : 'not reached'}; ${d.signed ? 'signed' : 'not signed'}`)
      if (r?.wbc) lines.push(`  WBC ${r.wbc.measured} x10^9/L${r.wbc.corrected !== null ? `, corrected for NRBC ${r.wbc.corrected.toFixed(2)}` : ''}${r.wbc.flag ? ` ${r.wbc.flag}` : ''}`)
      if (r) lines.push(`  reference intervals: ${r.basis.table}${r.basis.assumedAdult ? ' (age unknown: adult)' : ''}`)
      cli.out(`${ref}\n${lines.join('\n')}`)
    })

  slide
    .command('export')
    .description("write a slide's differential report (preliminary until the slide is signed)")
    .argument('<slide>', 'sample id (or slide id)')
    .requiredOption('--format <format>', `one of ${REPORT_FORMATS.join(', ')}`)
    .requiredOption('--out <file>', 'file to write')
    .option('--lab <name>', 'laboratory name on the report')
    .action(async (ref: string, o: { format: string; out: string; lab?: string }) => {
      if (!(REPORT_FORMATS as readonly string[]).includes(o.format)) throw new Error(`--format must be one of ${REPORT_FORMATS.join(', ')}`)
      const db = cli.openDb()
      const r = await exportSlide(db, findSlide(db, ref), o.format as ReportFormat, o.lab ? { lab: { name: o.lab } } : {})
      const out = resolve(o.out)
      writeFileSync(out, r.bytes)
      cli.out(`Wrote the ${r.status} ${o.format.toUpperCase()} report of ${ref} to ${out} (${r.bytes.byteLength} bytes)`)
    })

  slide
    .command('send')
    .description("send a signed slide's report to the LIS (HL7 ORU^R01 over MLLP); it waits in the outbox if the LIS does not answer")
    .argument('<slide>', 'sample id (or slide id)')
    .option('--to <host:port>', 'the LIS to send to (default: the configured one, see `wbc lis config`)')
    .option('--json', 'print the outbox message as JSON')
    .action(async (ref: string, o: { to?: string; json?: boolean }) => {
      const db = cli.openDb()
      const queued = queueSlideReport(db, { slideId: findSlide(db, ref), who: '', ...(o.to ? { to: destinationOf(o.to) } : {}) })
      // One try now; if the LIS does not answer, the workstation (or `wbc outbox send`) tries again later.
      const row = (await deliverOutboxMessage(db, queued.id, { force: true })) ?? queued
      if (o.json) cli.json(outboxView(row))
      else cli.out(describeOutboxMessage(outboxView(row)))
      if (row.state === 'rejected' || row.state === 'failed') cli.exitCode = 1
    })

  slide
    .command('sign')
    .description('sign a slide as a named verifier (their password on stdin); a second, different verifier gives the second verification when the slide asks for one')
    .argument('<slide>', 'sample id (or slide id)')
    .requiredOption('--user <name>', 'the verifier who signs')
    .requiredOption('--password-stdin', "read the verifier's password from the first line of stdin")
    .requiredOption('--meaning <text>', 'what the signature means, e.g. "Differential reviewed and verified"')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { user: string; passwordStdin: boolean; meaning: string; json?: boolean }) => {
      const db = cli.openDb()
      const slideId = findSlide(db, ref)
      const caller = await cli.actor({ user: o.user, passwordStdin: o.passwordStdin })
      // cli.actor checked the password (same lockout as the app); the service checks the role, and the
      // signature records the user id and this machine's clock. As in the app: with sending at sign-off
      // turned on, the final report is queued with the signature.
      const r = signSlideAs(db, caller, { slideId, meaning: o.meaning }).signed
      if (o.json) return cli.json(r)
      cli.out(
        r.verification === 2
          ? `${ref}: second verification by ${r.signedBy} at ${r.signedAt}; the report is final`
          : `${ref}: signed by ${r.signedBy} at ${r.signedAt} (${r.totalCounted} cells counted)${r.final ? '' : '; a second, different verifier must sign before the report is final'}`
      )
    })

  slide
    .command('settings')
    .description('require (or not) a second, different verifier before a report is final: for one slide, or lab-wide with --lab')
    .argument('[slide]', 'sample id (or slide id); leave out with --lab')
    .option('--lab', 'the lab default for every slide without its own setting')
    .requiredOption('--second-verification <yes|no>', 'whether a second verifier must sign')
    .action((ref: string | undefined, o: { lab?: boolean; secondVerification: string }) => {
      if (!!o.lab === !!ref) throw new Error('give a slide, or --lab for the lab default')
      if (!['yes', 'no'].includes(o.secondVerification)) throw new Error('--second-verification is yes or no')
      const db = cli.openDb()
      const slideId = ref ? findSlide(db, ref) : null
      const s = slideReviewSettings(db, slideId, { secondVerification: o.secondVerification === 'yes' }, LOCAL_OPERATOR)
      cli.out(`${ref ?? 'lab default'}: second verification ${s.secondVerification ? 'required' : 'not required'}`)
    })
}
