// `wbc audit verify`: recomputes the tamper-evidence chain over the store's
// append-only records (src/main/store/audit.ts) and names the first record
// that does not match. Exits 1 when the chain is broken or its triggers are
// gone, so a scheduled check can alert.
import type { CliCommand } from '../context'
import { verifyAuditChain } from '../../main/store'

export const auditCommand: CliCommand = (cli) => {
  const audit = cli.program.command('audit').description('tamper evidence of the audit trail')
  audit
    .command('verify')
    .description('recompute the hash chain over labels, review actions, sign-offs, settings, blind answers ... and name the first broken record')
    .option('--json', 'print the verification as JSON')
    .action((o: { json?: boolean }) => {
      const db = cli.openDb()
      const v = verifyAuditChain(db)
      const ok = v.ok && v.missingTriggers.length === 0
      if (o.json) cli.json({ ...v, ok })
      else {
        const records = Object.entries(v.tables).map(([t, n]) => `${t} ${n}`).join(', ')
        if (v.firstBreak) cli.out(`BROKEN at ${v.firstBreak.table} #${v.firstBreak.id}${v.firstBreak.seq !== null ? ` (chain entry ${v.firstBreak.seq})` : ''}: ${v.firstBreak.message}`)
        if (v.missingTriggers.length) cli.out(`WARNING: the append-only or chain triggers of ${v.missingTriggers.join(', ')} are gone (the file was changed outside the workstation)`)
        if (ok) cli.out(`audit chain intact: ${v.entries} records (${records}); last hash ${v.lastHash ?? '(none)'}`)
      }
      cli.exitCode = ok ? 0 : 1
    })
}
