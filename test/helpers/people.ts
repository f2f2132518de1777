// Users for tests: real accounts (scrypt hashes, the store's users table)
// added the way the command line adds them, as the local operator.
import type { Role } from '../../src/shared/people'
import { addUser, LOCAL_OPERATOR } from '../../src/main/people'
import type { Db } from '../../src/main/store/db'

/** A password long enough for the rules, the same for every test user (tests only). */
export const TEST_PASSWORD = 'correct horse battery'

export async function addTestUser(db: Db, name: string, roles: Role[], password = TEST_PASSWORD): Promise<{ userId: number; name: string; password: string }> {
  const u = await addUser(db, LOCAL_OPERATOR, { name, displayName: name, roles, password })
  return { userId: u.id, name: u.name, password }
}
