// The one way tests run the `wbc` command line: in-process through the same
// main() as bin/wbc.js, with stdout and stderr captured and no terminal (so
// no progress bar). `env` replaces the process environment for the run
// (WBC_DB and friends are read from it, never from the test's own).
import { PassThrough } from 'node:stream'
import { main } from '../../src/cli/main'

export interface WbcRun {
  code: number
  out: string
  err: string
}

/** `stdin`: what the command reads from its standard input (a password for --password-stdin). */
export async function wbc(args: string[], env: Record<string, string | undefined> = {}, stdin = ''): Promise<WbcRun> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const input = new PassThrough()
  input.end(stdin)
  let out = ''
  let err = ''
  stdout.on('data', (d) => (out += d))
  stderr.on('data', (d) => (err += d))
  const code = await main(args, { stdout, stderr, env, stdin: input })
  return { code, out, err }
}
