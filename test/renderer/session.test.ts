// @vitest-environment happy-dom
// Signing in through the app frame: nobody signed in shows the sign-in form
// (or the first admin's setup on a workstation without users), Enter signs
// in, the frame then shows who is signed in and only the screens the roles
// may use; a reader sees the blind screen alone; sign-out returns to sign-in.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import App from '../../src/renderer/src/App.vue'
import { setTransport } from '../../src/renderer/src/api/transport'
import type { SessionState, SessionUser } from '../../src/shared/people'
import { fakeTransport, ok } from './fake-transport'

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  location.hash = ''
  document.body.innerHTML = ''
})
afterEach(() => setTransport(null))

function scripted(user: SessionUser, opts: { needsSetup?: boolean } = {}) {
  let current: SessionUser | null = null
  const state = (): SessionState => ({ needsSetup: !!opts.needsSetup && current === null, user: current, idleMinutes: 30 })
  const f = fakeTransport({
    'session.state': () => ok(state()),
    'session.login': (input) => {
      const i = input as { name: string; password: string }
      if (i.password !== 'right password') return { ok: false, error: { code: 'forbidden', message: 'wrong name or password' } }
      current = user
      return ok(user)
    },
    'session.setup': () => ((current = user), ok(user)),
    'session.logout': () => ((current = null), ok({ signedOut: true })),
    'blind.list': () => ok([]),
    'slides.list': () => ok([]),
    'datasets.list': () => ok([]),
    'app.info': () => ok({ name: 'WBC Workstation', version: '1', shell: 'browser', mlBackend: null, dbPath: '/x/wbc.sqlite', storeReady: true })
  })
  setTransport(f.transport)
  return f
}

async function type(selector: string, value: string): Promise<void> {
  const input = document.querySelector(selector) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input'))
  await flushPromises()
}

describe('sign-in', () => {
  it('signs a reader in with the keyboard and shows only the blind screen; a wrong password says so', async () => {
    const f = scripted({ id: 3, name: 'rita', displayName: 'Rita Reader', roles: ['reader'] })
    const w = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    expect(w.find('[data-testid="signin"]').exists()).toBe(true)
    // The name field has focus: a keyboard user starts typing at once.
    expect(document.activeElement?.getAttribute('data-testid')).toBe('signin-name')
    await type('[data-testid="signin-name"]', 'rita')
    await type('[data-testid="signin-password"]', 'wrong')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="signin-error"]').text()).toBe('wrong name or password')
    expect((document.querySelector('[data-testid="signin-password"]') as HTMLInputElement).value).toBe('')
    await type('[data-testid="signin-password"]', 'right password')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="signin"]').exists()).toBe(false)
    expect(w.findAll('nav a').map((a) => a.attributes('href'))).toEqual(['#/blind'])
    expect(location.hash).toBe('#/blind')
    expect(w.find('[data-testid="signed-in"]').text()).toContain('Rita Reader')
    // A reader's frame never asks for what it may not have.
    expect(f.calls.map((c) => c.method)).not.toContain('app.info')
    expect(f.calls.map((c) => c.method)).not.toContain('datasets.list')
    // Typing another screen's address shows no screen.
    location.hash = '#/slides'
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    await flushPromises()
    expect(w.find('[data-testid="not-for-role"]').exists()).toBe(true)
    await w.find('[data-testid="sign-out"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="signin"]').exists()).toBe(true)
    w.unmount()
  })

  it('creates the first admin on a workstation without users, then shows the Users screen to them', async () => {
    const f = scripted({ id: 1, name: 'ada', displayName: 'Ada Admin', roles: ['admin'] }, { needsSetup: true })
    const w = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    expect(w.find('h1').text()).toBe('Create the first administrator')
    await type('[data-testid="signin-name"]', 'ada')
    await type('[data-testid="signin-display"]', 'Ada Admin')
    await type('[data-testid="signin-password"]', 'a long password')
    await type('[data-testid="signin-repeat"]', 'a long passwore')
    expect(w.find('[data-testid="signin-submit"]').attributes('disabled')).toBeDefined()
    await type('[data-testid="signin-repeat"]', 'a long password')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(f.calls.find((c) => c.method === 'session.setup')?.input).toEqual({ name: 'ada', displayName: 'Ada Admin', password: 'a long password' })
    expect(w.findAll('nav a').map((a) => a.attributes('href'))).toContain('#/users')
    w.unmount()
  })
})

describe('one\'s own password', () => {
  it('changes it with the current one asked again; a mistyped repeat never reaches the core; the core\'s refusal is shown', async () => {
    const f = scripted({ id: 2, name: 'tom', displayName: 'Tom Tech', roles: ['technologist'] })
    const w = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    await type('[data-testid="signin-name"]', 'tom')
    await type('[data-testid="signin-password"]', 'right password')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="password-form"]').exists()).toBe(false)
    await w.find('[data-testid="password-open"]').trigger('click')
    await flushPromises()
    expect(document.activeElement?.getAttribute('data-testid')).toBe('pw-current')
    await type('[data-testid="pw-current"]', 'right password')
    await type('[data-testid="pw-new"]', 'a new long password')
    await type('[data-testid="pw-repeat"]', 'a new long passwore')
    expect(w.find('[data-testid="pw-mismatch"]').exists()).toBe(true)
    expect(w.find('[data-testid="pw-submit"]').attributes('disabled')).toBeDefined()
    await w.find('[data-testid="password-form"]').trigger('submit')
    await flushPromises()
    expect(f.calls.some((c) => c.method === 'session.password')).toBe(false)
    // The core refuses a wrong current password: shown, and the field is emptied.
    let answer: 'refuse' | 'accept' = 'refuse'
    f.transport.api['session.password'] = (async (input: unknown) => {
      f.calls.push({ method: 'session.password', input })
      return answer === 'refuse' ? { ok: false, error: { code: 'forbidden', message: 'the current password is wrong' } } : ok({ changed: true })
    }) as never
    await type('[data-testid="pw-repeat"]', 'a new long password')
    await w.find('[data-testid="password-form"]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="pw-error"]').text()).toBe('the current password is wrong')
    expect((document.querySelector('[data-testid="pw-current"]') as HTMLInputElement).value).toBe('')
    answer = 'accept'
    await type('[data-testid="pw-current"]', 'right password')
    await w.find('[data-testid="password-form"]').trigger('submit')
    await flushPromises()
    expect(f.calls.filter((c) => c.method === 'session.password').map((c) => c.input)).toEqual([
      { current: 'right password', password: 'a new long password' },
      { current: 'right password', password: 'a new long password' }
    ])
    expect(w.find('[data-testid="pw-done"]').exists()).toBe(true)
    expect((document.querySelector('[data-testid="pw-new"]') as HTMLInputElement).value).toBe('')
    // Signing out closes the form: the next person does not find it open.
    await w.find('[data-testid="sign-out"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="password-form"]').exists()).toBe(false)
    w.unmount()
  })
})

describe('connecting the desktop app to a lab server', () => {
  it('offers it on the sign-in screen of the desktop app only, sends the address to the app, and shows its refusal', async () => {
    const f = scripted({ id: 1, name: 'ana', displayName: 'Ana', roles: ['technologist'] })
    const w = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    // In a browser the server is the page's own: nothing to connect to.
    expect(w.find('[data-testid="lab-server"]').exists()).toBe(false)
    w.unmount()

    const asked: string[] = []
    setTransport({
      ...f.transport,
      kind: 'desktop',
      connectLabServer: async (address: string) => {
        asked.push(address)
        return address.startsWith('https://')
          ? { ok: false as const, error: { code: 'cancelled' as const, message: 'not connected' } }
          : { ok: false as const, error: { code: 'invalid_input' as const, message: 'a lab server is reached over HTTPS only' } }
      }
    })
    setActivePinia((pinia = createPinia()))
    const d = mount(App, { global: { plugins: [pinia] }, attachTo: document.body })
    await flushPromises()
    await d.find('[data-testid="lab-server-open"]').trigger('click')
    await type('[data-testid="lab-server-address"]', 'http://wbc.lab.example')
    await d.find('[data-testid="lab-server"]').trigger('submit')
    await flushPromises()
    expect(d.find('[data-testid="lab-server-error"]').text()).toBe('a lab server is reached over HTTPS only')
    // Declined in the app's own dialog: no error to show.
    await type('[data-testid="lab-server-address"]', 'https://wbc.lab.example')
    await d.find('[data-testid="lab-server"]').trigger('submit')
    await flushPromises()
    expect(d.find('[data-testid="lab-server-error"]').exists()).toBe(false)
    expect(asked).toEqual(['http://wbc.lab.example', 'https://wbc.lab.example'])
    d.unmount()
  })
})
