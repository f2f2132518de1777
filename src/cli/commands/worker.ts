// `wbc worker`: this machine trains cross-validation folds and training runs for a lab server
// (docs/scale.md). It needs the server's address and a worker credential
// issued by an admin (`wbc worker-credential issue NAME --out FILE`), and
// reaches the queue (Redis) at the address the server hands to workers, or at
// --redis. Runs until interrupted, or until its credential is revoked.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CliCommand } from '../context'

export const workerCommand: CliCommand = (cli) => {
  cli.program
    .command('worker')
    .description('train cross-validation folds and training runs for a lab server (wbc serve --redis): jobs from its queue, data and results through its API')
    .requiredOption('--server <url>', 'the lab server (https://host:port/)')
    .option('--token-file <file>', 'file holding the worker credential (wbc worker-credential issue NAME --out FILE)')
    .option('--credential <file>', 'the same as --token-file')
    .option('--redis <url>', 'reach the queue here instead of the address the server hands to workers')
    .option('--cache <dir>', 'where snapshots and checkpoints are kept (default: under the temp folder)')
    .option('--threads <n>', 'training threads per fold (default: as the run was planned, so results match a local run)')
    .action(async (o: { server: string; tokenFile?: string; credential?: string; redis?: string; cache?: string; threads?: string }) => {
      const file = o.tokenFile ?? o.credential
      if (!file) throw new Error('give the worker credential: --token-file FILE (an admin issues it: wbc worker-credential issue NAME --out FILE)')
      const secret = readFileSync(resolve(file), 'utf8').trim()
      const threads = o.threads === undefined ? undefined : Number(o.threads)
      if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) throw new Error('--threads: a whole number, 0 or more')
      const { startWorkerMachine } = await import('../../main/queue/worker-machine')
      const machine = await startWorkerMachine({
        server: o.server,
        secret,
        ...(o.redis ? { redisUrl: o.redis } : {}),
        ...(o.cache ? { cacheDir: resolve(o.cache) } : {}),
        ...(threads !== undefined ? { threads } : {}),
        log: (line) => cli.out(line)
      })
      const stop = (): void => void machine.close()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const why = await machine.stopped
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      cli.exitCode = why === 'revoked' ? 3 : 0
    })
}
