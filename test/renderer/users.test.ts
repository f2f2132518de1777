// @vitest-environment happy-dom
// The Users screen (admin): the Roles button sends the roles typed into its
// prompt and shows the core's refusal; the worker-machine credentials panel
// shows a new secret once, forgets it when told, and revokes only after the
// admin confirms.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { setTransport } from '../../src/renderer/src/api/transport'
import UsersView from '../../src/renderer/src/views/UsersView.vue'
import WorkerCredentials from '../../src/renderer/src/components/people/WorkerCredentials.vue'
import type { WorkerCredentialSummary } from '../../src/shared/workers'
import { fakeTransport, ok } from './fake-transport'

const LEE = { id: 2, name: 'lee', displayName: 'Dr Lee', roles: ['technologist'], createdAt: '2026-01-01T00:00:00Z', disabledAt: null, lockedUntil: null }

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  setTransport(null)
  vi.unstubAllGlobals()
})

describe('Users screen: roles', () => {
  it("sends the roles typed into the prompt, shows the new roles, and shows the core's refusal", async () => {
    const user = { ...LEE }
    const f = fakeTransport({
      'users.list': () => ok([user]),
      'workers.list': () => ok([]),
      'users.setRoles': (input) => {
        const { roles } = input as { roles: string[] }
        if (roles.includes('reader') && roles.length > 1) return { ok: false, error: { code: 'invalid_input', message: 'a reader holds no other role' } }
        user.roles = roles
        return ok(user)
      }
    })
    setTransport(f.transport)
    const answers = ['technologist, verifier', 'reader, verifier', null]
    vi.stubGlobal('prompt', vi.fn(() => answers.shift()))
    const w = mount(UsersView, { global: { plugins: [createPinia()] } })
    await flushPromises()

    await w.get('[data-testid="user-roles-lee"]').trigger('click')
    await flushPromises()
    expect(f.calls.find((c) => c.method === 'users.setRoles')!.input).toEqual({ name: 'lee', roles: ['technologist', 'verifier'] })
    expect(w.get('[data-testid="users-notice"]').text()).toBe('lee now holds technologist, verifier')
    expect(w.get('[data-user="lee"]').text()).toContain('technologist, verifier')

    await w.get('[data-testid="user-roles-lee"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="users-error"]').text()).toBe('a reader holds no other role')

    // Cancelling the prompt changes nothing.
    const before = f.calls.length
    await w.get('[data-testid="user-roles-lee"]').trigger('click')
    await flushPromises()
    expect(f.calls.slice(before).some((c) => c.method === 'users.setRoles')).toBe(false)
    w.unmount()
  })
})

describe('Users screen: worker machines', () => {
  function workers() {
    const list: WorkerCredentialSummary[] = [{ id: 1, name: 'cpu-1', createdBy: 'ada', createdAt: '2026-01-01T00:00:00Z', revokedAt: null, lastSeenAt: null }]
    const f = fakeTransport({
      'workers.list': () => ok(list.map((c) => ({ ...c }))),
      'workers.issue': (input) => {
        const { name } = input as { name: string }
        if (list.some((c) => c.name === name)) return { ok: false, error: { code: 'conflict', message: `a worker credential named ${name} exists` } }
        const c = { id: list.length + 1, name, createdBy: 'ada', createdAt: '2026-01-02T00:00:00Z', revokedAt: null, lastSeenAt: null }
        list.push(c)
        return ok({ ...c, secret: 'wbcw_s3cr3t-once' })
      },
      'workers.revoke': (input) => {
        const c = list.find((x) => x.name === (input as { name: string }).name)!
        c.revokedAt = '2026-01-03T00:00:00Z'
        return ok({ ...c })
      }
    })
    setTransport(f.transport)
    return f
  }

  it('shows a new secret once and forgets it when the admin has it', async () => {
    const f = workers()
    const w = mount(WorkerCredentials, { global: { plugins: [createPinia()] } })
    await flushPromises()
    expect(w.findAll('[data-worker]').map((r) => r.attributes('data-worker'))).toEqual(['cpu-1'])

    await w.get('[data-testid="worker-name"]').setValue('gpu-1')
    await w.get('[data-testid="worker-issue"]').trigger('submit')
    await flushPromises()
    expect(f.calls.find((c) => c.method === 'workers.issue')!.input).toEqual({ name: 'gpu-1' })
    expect((w.get('[data-testid="worker-secret-value"]').element as HTMLInputElement).value).toBe('wbcw_s3cr3t-once')
    expect(w.findAll('[data-worker]').map((r) => r.attributes('data-worker'))).toEqual(['cpu-1', 'gpu-1'])

    await w.get('[data-testid="worker-secret-done"]').trigger('click')
    expect(w.find('[data-testid="worker-secret"]').exists()).toBe(false)
    expect(w.html()).not.toContain('wbcw_s3cr3t-once')

    // The same name again: the core's refusal, and no secret.
    await w.get('[data-testid="worker-name"]').setValue('gpu-1')
    await w.get('[data-testid="worker-issue"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="workers-error"]').text()).toMatch(/exists/)
    expect(w.find('[data-testid="worker-secret"]').exists()).toBe(false)
    w.unmount()
  })

  it('drops a secret not yet taken when the admin leaves the screen', async () => {
    workers()
    const pinia = createPinia()
    const w = mount(WorkerCredentials, { global: { plugins: [pinia] } })
    await flushPromises()
    await w.get('[data-testid="worker-name"]').setValue('gpu-2')
    await w.get('[data-testid="worker-issue"]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="worker-secret"]').exists()).toBe(true)
    w.unmount()
    const again = mount(WorkerCredentials, { global: { plugins: [pinia] } })
    await flushPromises()
    expect(again.find('[data-testid="worker-secret"]').exists()).toBe(false)
    again.unmount()
  })

  it('revokes only after the admin confirms', async () => {
    const f = workers()
    const confirm = vi.fn(() => false)
    vi.stubGlobal('confirm', confirm)
    const w = mount(WorkerCredentials, { global: { plugins: [createPinia()] } })
    await flushPromises()
    await w.get('[data-testid="worker-revoke-cpu-1"]').trigger('click')
    await flushPromises()
    expect(confirm).toHaveBeenCalledTimes(1)
    expect(f.calls.some((c) => c.method === 'workers.revoke')).toBe(false)

    confirm.mockReturnValue(true)
    await w.get('[data-testid="worker-revoke-cpu-1"]').trigger('click')
    await flushPromises()
    expect(f.calls.find((c) => c.method === 'workers.revoke')!.input).toEqual({ name: 'cpu-1' })
    expect(w.get('[data-worker="cpu-1"]').text()).toContain('revoked')
    expect(w.find('[data-testid="worker-revoke-cpu-1"]').exists()).toBe(false)
    w.unmount()
  })
})
