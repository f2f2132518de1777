// `wbc serve`: browser mode. Serves the built renderer and the API contract
// over HTTP on 127.0.0.1 (or --host for a lab network), guarded by a random
// token printed at start, until interrupted.
import type { Command } from 'commander'
import { startServer } from '../../server/index'

export interface ServeCliOptions {
  port: string
  host: string
  db?: string
}

function parsePort(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${text}`)
  return n
}

/** Runs the server until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(opts: ServeCliOptions, dbPath: string, out: (line: string) => void = console.log): Promise<number> {
  const server = await startServer({ dbPath, host: opts.host, port: parsePort(opts.port) })
  out(`WBC Workstation (browser mode) on ${server.url}`)
  out(`database: ${dbPath}`)
  out(`open: ${server.openUrl}`)
  out(`token: ${server.token}`)
  if (!server.rendererBuilt) out('warning: the renderer is not built (out/renderer missing): run `npm run build`; the API works meanwhile')
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
    out('warning: listening beyond this machine; anyone with the token can read and change this database')
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await server.close()
  return 0
}

/**
 * Adds `serve` to the CLI. `defaultDb` is the CLI's own default database
 * (--db, then WBC_DB, then the per-user data directory the desktop app uses).
 */
export function registerServe(program: Command, defaultDb: () => string, setExitCode: (code: number) => void = (c) => (process.exitCode = c)): void {
  program
    .command('serve')
    .description('serve the workstation to a browser (the same UI and API as the desktop app)')
    .option('--port <n>', 'TCP port (0 picks a free one)', '7373')
    .option('--host <address>', 'address to listen on (127.0.0.1 = this machine only)', '127.0.0.1')
    .option('--db <file>', 'SQLite database file')
    .action(async (opts: ServeCliOptions, cmd: Command) => {
      const global = cmd.optsWithGlobals<{ db?: string }>()
      setExitCode(await runServe(opts, opts.db ?? global.db ?? defaultDb()))
    })
}
