// `wbc validate MANUAL.csv`: local validation before use (docs/intended-use.md).
// Reads a lab's manual differentials of slides that are in the store and
// prints, per class, the agreement of the workstation's counts with them.
import { readFileSync } from 'node:fs'
import { formatValidation, parseManualCounts, validateAgainstManual } from '../../main/validation'
import type { CliCommand } from '../context'

export const validateCommand: CliCommand = (cli) => {
  cli.program
    .command('validate')
    .description("compare the workstation's differential of stored slides with manual differentials: per-class bias, Bland-Altman limits of agreement, manual share inside the workstation's exact 95% CI")
    .argument('<manual-csv>', 'CSV with a header: sample, class, and count (cells) or percent; one row per sample and class')
    .option('--signed-only', 'compare only signed (verified) slides')
    .option('--json', 'print the whole report as JSON')
    .action((file: string, o: { signedOnly?: boolean; json?: boolean }) => {
      const manual = parseManualCounts(readFileSync(file, 'utf8'))
      const report = validateAgainstManual(cli.openDb(), manual, { signedOnly: o.signedOnly })
      if (o.json) cli.json(report)
      else cli.out(formatValidation(report))
      if (report.samples.length === 0) {
        cli.err('wbc validate: no slide could be compared')
        cli.exitCode = 1
      }
    })
}
