// `wbc user add|list|disable|roles|passwd`: the workstation's people from the
// command line, through the same core as the app's Users screen. The command
// line acts as the local operator (whoever holds the database file), which is
// how the first admin of a fresh database is made:
//   printf '%s\n' "$PASSWORD" | wbc user add ada --role admin --password-stdin
import { ROLES, type Role } from '../../shared/people'
import { addUser, disableUser, listUserSummaries, LOCAL_OPERATOR, PeopleError, setPassword, setRoles } from '../../main/people'
import type { CliCommand } from '../context'

function roleList(value: string, previous: Role[] = []): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean)
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new Error(`unknown role ${r} (roles: ${ROLES.join(', ')})`)
  return [...previous, ...(roles as Role[])]
}

export const userCommand: CliCommand = (cli) => {
  const user = cli.group('user', "the workstation's users and their roles")
  const refuse = (err: unknown): never => {
    if (err instanceof PeopleError) throw new Error(err.message)
    throw err
  }

  user
    .command('add')
    .description(`add a user with one or more roles (${ROLES.join(', ')}); the password comes from stdin`)
    .argument('<name>', 'login name (letters, digits, dot, dash, underscore)')
    .requiredOption('--role <role>', 'a role; repeat or comma-separate for several', roleList)
    .option('--display-name <text>', 'full name shown beside what they sign (default: the name)')
    .requiredOption('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, o: { role: Role[]; displayName?: string }) => {
      const password = await cli.readSecretLine()
      const u = await addUser(cli.openDb(), LOCAL_OPERATOR, { name, displayName: o.displayName, roles: o.role, password }).catch(refuse)
      cli.out(`added ${u.name} (${u.roles.join(', ')})`)
    })

  user
    .command('list')
    .description('every user, disabled ones included')
    .option('--json', 'print as JSON')
    .action((o: { json?: boolean }) => {
      const users = listUserSummaries(cli.openDb())
      if (o.json) return cli.json(users)
      if (!users.length) return cli.out('no users yet: wbc user add NAME --role admin --password-stdin')
      const w = Math.max(4, ...users.map((u) => u.name.length))
      for (const u of users) {
        const state = u.disabledAt ? `disabled ${u.disabledAt}` : u.lockedUntil ? `locked until ${u.lockedUntil}` : 'active'
        cli.out(`${u.name.padEnd(w)}  ${u.roles.join(',').padEnd(24)}  ${state}  ${u.displayName}`)
      }
    })

  user
    .command('disable')
    .description('disable a user: no more sign-in; the account stays so history keeps naming them')
    .argument('<name>')
    .action((name: string) => {
      try {
        const u = disableUser(cli.openDb(), LOCAL_OPERATOR, name)
        cli.out(`disabled ${u.name}`)
      } catch (err) {
        refuse(err)
      }
    })

  user
    .command('roles')
    .description(`replace a user's roles (${ROLES.join(', ')}), e.g. a technologist who becomes a verifier; audited`)
    .argument('<name>')
    .requiredOption('--role <role>', 'a role; repeat or comma-separate for several', roleList)
    .action((name: string, o: { role: Role[] }) => {
      try {
        const u = setRoles(cli.openDb(), LOCAL_OPERATOR, name, o.role)
        cli.out(`${u.name} now holds ${u.roles.join(', ')}`)
      } catch (err) {
        refuse(err)
      }
    })

  user
    .command('passwd')
    .description("set a user's password (and lift a lockout); the password comes from stdin")
    .argument('<name>')
    .requiredOption('--password-stdin', 'read the new password from the first line of stdin')
    .action(async (name: string) => {
      const password = await cli.readSecretLine()
      const u = await setPassword(cli.openDb(), LOCAL_OPERATOR, name, password).catch(refuse)
      cli.out(`new password set for ${u.name}`)
    })
}
