// `wbc backup OUT`: an online copy of the database with SQLite's backup API,
// taken while the workstation or a lab server keeps serving it, checked
// (integrity_check and the audit chain) before it is given its name. Restore
// is a file copy with the server stopped (docs/scale.md, "Backup and restore").
import type { CliCommand } from '../context'
import { backupDatabase } from '../../main/store'

export const backupCommand: CliCommand = (cli) => {
  cli.program
    .command('backup')
    .description('copy the database to OUT while it is in use (SQLite online backup), then check the copy (integrity and audit chain)')
    .argument('<out>', 'the backup file to write (must not exist; a network share is fine)')
    .option('--json', 'print the report as JSON')
    .action(async (out: string, o: { json?: boolean }) => {
      const report = await backupDatabase(cli.openDb(), out)
      if (o.json) cli.json({ file: report.file, pages: report.pages, bytes: report.bytes, integrity: report.integrity, auditRecords: report.audit.entries, lastHash: report.audit.lastHash, seconds: report.seconds })
      else {
        cli.out(`backup written: ${report.file} (${(report.bytes / 1048576).toFixed(1)} MiB, ${report.pages} pages, ${report.seconds.toFixed(1)} s)`)
        cli.out(`integrity check: ${report.integrity}; audit chain intact: ${report.audit.entries} records, last hash ${report.audit.lastHash ?? '(none)'}`)
      }
    })
}
