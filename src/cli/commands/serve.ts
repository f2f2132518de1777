// `wbc serve`: browser mode. Serves the built renderer and the API contract
// over HTTP on 127.0.0.1 (or --host for a lab network), guarded by a random
// token printed at start, until interrupted.
import { resolve } from 'node:path'
import type { CliCommand } from '../context'
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

export const serveCommand: CliCommand = (cli) => {
  cli.program
    .command('serve')
    .description('serve the workstation to a browser: the same UI and API as the desktop app, guarded by a token')
    .option('--port <n>', 'TCP port (0 picks a free one)', '7373')
    .option('--host <address>', 'address to listen on (127.0.0.1 = this machine only)', '127.0.0.1')
    .option('--db <file>', 'database file (default: as for every wbc command)')
    .action(async (opts: ServeCliOptions) => {
      cli.exitCode = await runServe(opts, opts.db ? resolve(opts.db) : cli.dbPath(), (line) => cli.out(line))
    })
}
