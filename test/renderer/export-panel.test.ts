// @vitest-environment happy-dom
// The Report panel offers "Send to LIS" only on a final report and only to a
// role that may send (the core refuses the others; the screen doesn't offer).
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ExportPanel from '../../src/renderer/src/components/review/ExportPanel.vue'

describe('ExportPanel', () => {
  it('offers Send to LIS on a final report to a role that may send', async () => {
    const w = mount(ExportPanel, { props: { signed: true, busy: false, canSend: true } })
    await w.get('[data-testid="send-lis"]').trigger('click')
    expect(w.emitted('send')).toHaveLength(1)
  })

  it('does not offer it to a role that may not send, nor before the report is final', () => {
    expect(mount(ExportPanel, { props: { signed: true, busy: false, canSend: false } }).find('[data-testid="send-lis"]').exists()).toBe(false)
    expect(mount(ExportPanel, { props: { signed: false, busy: false, canSend: true } }).find('[data-testid="send-lis"]').exists()).toBe(false)
    expect(mount(ExportPanel, { props: { signed: true, awaitingSecond: true, busy: false, canSend: true } }).find('[data-testid="send-lis"]').exists()).toBe(false)
  })
})
