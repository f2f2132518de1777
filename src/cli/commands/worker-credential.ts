// `wbc worker-credential issue|revoke|ls`: the credentials worker machines
// (`wbc worker`) present to the lab server, through the same core as the
// contract's workers.* methods. The command line acts as the local operator
// (an admin: whoever holds the database file). The secret is printed once
// (or written to --out, readable by its owner only) and never stored.
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { issueWorkerCredential, LOCAL_OPERATOR, PeopleError, revokeWorkerCredentialByName, workerCredentialSummaries } from '../../main/people'
import type { CliCommand } from '../context'

export const workerCredentialCommand: CliCommand = (cli) => {
  const group = cli.group('worker-credential', 'credentials of worker machines (wbc worker): issue, revoke, list')
  const refuse = (err: unknown): never => {
    if (err instanceof PeopleError) throw new Error(err.message)
    throw err
  }
  group
    .command('issue')
    .description('issue a credential for one worker machine; its secret is shown once (only a hash is kept)')
    .argument('<name>', 'the worker machine (letters, digits, dot, dash, underscore)')
    .option('--out <file>', 'write the secret to this file (mode 600) instead of printing it')
    .action((name: string, o: { out?: string }) => {
      let c
      try {
        c = issueWorkerCredential(cli.openDb(), LOCAL_OPERATOR, name)
      } catch (err) {
        refuse(err)
      }
      if (o.out) {
        writeFileSync(resolve(o.out), `${c!.secret}\n`, { mode: 0o600, flag: 'wx' })
        cli.out(`issued worker credential ${c!.name}; its secret is in ${resolve(o.out)} (give it to the worker: wbc worker --token-file FILE)`)
      } else {
        cli.out(`issued worker credential ${c!.name}; secret (shown once): ${c!.secret}`)
      }
    })
  group
    .command('revoke')
    .description('revoke a credential: its worker stops at its next call to the server')
    .argument('<name>')
    .action((name: string) => {
      try {
        const c = revokeWorkerCredentialByName(cli.openDb(), LOCAL_OPERATOR, name)
        cli.out(`revoked worker credential ${c.name}`)
      } catch (err) {
        refuse(err)
      }
    })
  group
    .command('ls')
    .description('every worker credential, revoked ones included (never a secret)')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const rows = workerCredentialSummaries(cli.openDb())
      if (o.json) return cli.json(rows)
      if (!rows.length) return cli.out('no worker credentials: wbc worker-credential issue NAME')
      for (const r of rows) cli.out(`${r.name}  issued ${r.createdAt} by ${r.createdBy}  ${r.revokedAt ? `revoked ${r.revokedAt}` : 'active'}  last seen ${r.lastSeenAt ?? 'never'}`)
    })
}
