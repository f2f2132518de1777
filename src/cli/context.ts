// What every `wbc` command gets: where to write, the database (opened lazily
// from --db / WBC_DB / the app's default, closed when the command ends), a
// progress renderer, and shared parent commands such as `export` and `bench`.
import { Command } from 'commander'
import type { Db } from '../main/store/db'
import { openStore } from '../main/store/db'
import { resolveDbPath } from '../main/paths'
import type { ProgressListener } from '../shared/progress'
import { createProgressRenderer, type ProgressRenderer } from './progress'
import type { Caller } from '../shared/people'
import { authenticate, LOCAL_OPERATOR, toCaller } from '../main/people'

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: Record<string, string | undefined>
  /** Where --password-stdin reads from (default: the process's stdin). */
  stdin?: NodeJS.ReadableStream
}

export class CliContext {
  exitCode = 0
  private db?: Db
  private groups = new Map<string, Command>()

  constructor(
    readonly program: Command,
    readonly io: CliIO
  ) {}

  /** A parent command shared by several command files (`wbc export dataset`, `wbc bench import` ...). */
  group(name: string, description: string): Command {
    let g = this.groups.get(name)
    if (!g) {
      g = this.program.command(name).description(description)
      this.groups.set(name, g)
    }
    return g
  }

  /** The database path this run uses (--db, else WBC_DB, else the desktop app's default). */
  dbPath(): string {
    const flag = this.program.opts<{ db?: string }>().db
    return resolveDbPath(flag, this.io.env)
  }

  /** Opens the store once per run; closed by main() when the command ends. */
  openDb(): Db {
    this.db ??= openStore(this.dbPath())
    return this.db
  }

  close(): void {
    this.db?.close()
    this.db = undefined
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n')
  }

  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n')
  }

  json(value: unknown): void {
    this.out(JSON.stringify(value, null, 2))
  }

  /** The first line of stdin (a password given with --password-stdin), without its line ending. */
  async readSecretLine(): Promise<string> {
    const input = this.io.stdin ?? process.stdin
    let text = ''
    for await (const chunk of input) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
      if (text.includes('\n')) break
    }
    return text.split(/\r?\n/)[0] ?? ''
  }

  /**
   * Who acts: with --user NAME (and the password on stdin) that user, signed
   * in as in the app (same lockout); without, the local operator
   * (docs/security.md: whoever holds the database file holds everything, but
   * nothing is signed in anyone's name without their password).
   */
  async actor(o: { user?: string; passwordStdin?: boolean }): Promise<Caller> {
    if (!o.user) return LOCAL_OPERATOR
    if (!o.passwordStdin) throw new Error('--user needs --password-stdin (the password on the first line of stdin)')
    const password = await this.readSecretLine()
    return toCaller(await authenticate(this.openDb(), o.user, password))
  }

  /** A bar on stderr when it is a terminal, a plain line every 10% otherwise. */
  progress(): ProgressRenderer {
    return createProgressRenderer(this.io.stderr)
  }
}

/** A command file's one export: adds its command(s) to the program. */
export type CliCommand = (cli: CliContext) => void

export type { ProgressListener }
