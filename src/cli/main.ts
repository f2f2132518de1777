// `wbc` command line: a thin shell over the core in src/main.
//
// Adding a command: write src/cli/commands/<name>.ts exporting a CliCommand
// (see context.ts) and add it to COMMANDS below, one line.
import { Command, CommanderError } from 'commander'
import { CliContext, type CliCommand, type CliIO } from './context'
import { importCommand } from './commands/import'
import { lsCommand } from './commands/ls'
import { exportDatasetCommand } from './commands/export-dataset'
import { benchImportCommand } from './commands/bench-import'
import { serveCommand } from './commands/serve'
import { slideCommand } from './commands/slide'
import { trainCommand } from './commands/train'
import { crossvalCommand } from './commands/crossval'
import { finetuneCommand } from './commands/finetune'
import { adaptCommand } from './commands/adapt'
import { classifyCommand } from './commands/classify'
import { runsCommand } from './commands/runs'
import { modelCommand } from './commands/model'
import { evaluateCommand } from './commands/evaluate'
import { ganCommand } from './commands/gan'
import { blindCommand } from './commands/blind'
import { validateCommand } from './commands/validate'
import { outboxCommand } from './commands/outbox'
import { reviewSettingsCommand } from './commands/review-settings'
import { orderCommand } from './commands/order'
import { datasetsCommand } from './commands/datasets'
import { auditCommand } from './commands/audit'
import { userCommand } from './commands/user'
import { backupCommand } from './commands/backup'
import { workerCommand } from './commands/worker'
import { workerCredentialCommand } from './commands/worker-credential'

const COMMANDS: CliCommand[] = [
  importCommand,
  lsCommand,
  exportDatasetCommand,
  benchImportCommand,
  serveCommand,
  slideCommand,
  trainCommand,
  crossvalCommand,
  finetuneCommand,
  adaptCommand,
  classifyCommand,
  runsCommand,
  modelCommand,
  evaluateCommand,
  ganCommand,
  blindCommand,
  validateCommand,
  outboxCommand,
  reviewSettingsCommand,
  orderCommand,
  datasetsCommand,
  auditCommand,
  userCommand,
  backupCommand,
  workerCommand,
  workerCredentialCommand
]

export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const program = new Command('wbc')
    .description('WBC Workstation: import, classify, review and export white-blood-cell images')
    .option('--db <file>', 'database file (default: $WBC_DB, else the desktop app\'s data folder)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()
  const cli = new CliContext(program, io)
  for (const register of COMMANDS) register(cli)
  try {
    if (argv.length === 0) {
      program.outputHelp()
      return 0
    }
    await program.parseAsync(argv, { from: 'user' })
    return cli.exitCode
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    cli.err(`wbc: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  } finally {
    cli.close()
  }
}
