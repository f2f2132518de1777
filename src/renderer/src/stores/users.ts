// The admin's user list: accounts with roles and lock state, adding a user,
// disabling one (never deleting), and setting a password. Talks only to the
// contract's users.* methods (admin only; the core refuses anyone else).
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result } from '../../../shared/api'
import type { Role, UserSummary } from '../../../shared/people'
import { useTransport } from '../api/transport'

function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ') : r.error.message
}

export const useUsersStore = defineStore('users', () => {
  const users = ref<UserSummary[]>([])
  const error = ref<string | null>(null)
  const notice = ref<string | null>(null)
  const busy = ref(false)

  async function load(): Promise<void> {
    const r = await useTransport().api['users.list']()
    if (r.ok) {
      users.value = r.value
      error.value = null
    } else error.value = messageOf(r)
  }

  async function run(action: () => Promise<Result<UserSummary>>, done: (u: UserSummary) => string): Promise<boolean> {
    busy.value = true
    try {
      const r = await action()
      if (!r.ok) {
        error.value = messageOf(r)
        return false
      }
      error.value = null
      notice.value = done(r.value)
      await load()
      return true
    } finally {
      busy.value = false
    }
  }

  const add = (u: { name: string; displayName: string; roles: Role[]; password: string }) =>
    run(
      () => useTransport().api['users.add']({ name: u.name, roles: u.roles, password: u.password, ...(u.displayName.trim() ? { displayName: u.displayName } : {}) }),
      (x) => `Added ${x.name} (${x.roles.join(', ')})`
    )
  const disable = (name: string) => run(() => useTransport().api['users.disable']({ name }), (x) => `Disabled ${x.name}`)
  const setPassword = (name: string, password: string) => run(() => useTransport().api['users.password']({ name, password }), (x) => `New password set for ${x.name}`)

  const setRoles = (name: string, roles: Role[]) => run(() => useTransport().api['users.setRoles']({ name, roles }), (x) => `${x.name} now holds ${x.roles.join(', ')}`)

  return { users, error, notice, busy, load, add, disable, setPassword, setRoles }
})
