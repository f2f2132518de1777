// Who is signed in on this screen: the session's state from the core
// (session.state), sign-in, first-admin setup, sign-out, one's own password, and which methods
// the signed-in roles may call, so the frame hides screens a role can't use.
// Hiding is a courtesy: the core's dispatcher refuses them anyway.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { mayCall, type Method, type Result } from '../../../shared/api'
import type { SessionState, SessionUser } from '../../../shared/people'
import { useTransport } from '../api/transport'

function messageOf(r: Result<unknown>): string {
  if (r.ok) return ''
  return r.error.issues?.length ? r.error.issues.map((i) => i.message).join('; ') : r.error.message
}

export const useSessionStore = defineStore('session', () => {
  const state = ref<SessionState | null>(null)
  const error = ref<string | null>(null)
  const busy = ref(false)
  const user = computed<SessionUser | null>(() => state.value?.user ?? null)
  const needsSetup = computed(() => state.value?.needsSetup ?? false)

  async function load(): Promise<void> {
    const r = await useTransport().api['session.state']()
    if (r.ok) {
      state.value = r.value
      error.value = null
    } else error.value = messageOf(r)
  }

  async function signedIn(r: Result<SessionUser>): Promise<boolean> {
    if (!r.ok) {
      error.value = messageOf(r)
      return false
    }
    error.value = null
    await load()
    return true
  }

  async function login(name: string, password: string): Promise<boolean> {
    busy.value = true
    try {
      return await signedIn(await useTransport().api['session.login']({ name, password }))
    } finally {
      busy.value = false
    }
  }

  async function setup(name: string, displayName: string, password: string): Promise<boolean> {
    busy.value = true
    try {
      return await signedIn(await useTransport().api['session.setup']({ name, password, ...(displayName.trim() ? { displayName } : {}) }))
    } finally {
      busy.value = false
    }
  }

  async function logout(): Promise<void> {
    await useTransport().api['session.logout']()
    await load()
  }

  /** Changes the signed-in person's own password (the core asks for the current one again); the refusal's reason, or null when changed. */
  async function changePassword(current: string, password: string): Promise<string | null> {
    busy.value = true
    try {
      const r = await useTransport().api['session.password']({ current, password })
      return r.ok ? null : messageOf(r)
    } finally {
      busy.value = false
    }
  }

  /** The desktop app may become a lab server's client; in a browser the server is the page's own. */
  const canConnectLabServer = computed(() => typeof useTransport().connectLabServer === 'function')

  /** Asks the desktop app to connect to a lab server (it confirms in its own dialog, then restarts); the refusal's reason otherwise. */
  async function connectLabServer(address: string): Promise<string | null> {
    const connect = useTransport().connectLabServer
    if (!connect) return 'only the desktop app connects to a lab server'
    busy.value = true
    try {
      const r = await connect(address)
      if (r.ok) return null
      return r.error.code === 'cancelled' ? null : messageOf(r)
    } finally {
      busy.value = false
    }
  }

  /** Whether the signed-in user's roles allow a method (false when nobody is signed in). */
  function can(method: Method): boolean {
    return user.value !== null && mayCall(method, user.value.roles)
  }

  return { state, user, needsSetup, error, busy, load, login, setup, logout, changePassword, can, canConnectLabServer, connectLabServer }
})
