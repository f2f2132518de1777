import { describe, it, expect } from 'vitest'
import { main } from '../src/cli/main'
describe('skeleton', () => { it('cli runs', async () => { expect(await main([])).toBe(0) }) })
