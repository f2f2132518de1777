import { describe, expect, it } from 'vitest'
import { defaultDbPath, resolveDbPath, userDataDir } from '../../src/main/paths'

describe('database location', () => {
  it('is the desktop app\'s per-user data folder for "WBC Workstation"', () => {
    expect(defaultDbPath({}, 'linux', '/home/ana')).toBe('/home/ana/.config/WBC Workstation/wbc.sqlite')
    expect(defaultDbPath({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/ana')).toBe('/cfg/WBC Workstation/wbc.sqlite')
    expect(userDataDir({}, 'darwin', '/Users/ana')).toBe('/Users/ana/Library/Application Support/WBC Workstation')
    expect(defaultDbPath({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ana')).toBe(
      'C:\\Users\\ana\\AppData\\Roaming\\WBC Workstation\\wbc.sqlite'
    )
  })

  it('is overridden by WBC_DB, and both by --db', () => {
    expect(resolveDbPath(undefined, { WBC_DB: '/data/lab.sqlite' })).toBe('/data/lab.sqlite')
    expect(resolveDbPath('/tmp/x.sqlite', { WBC_DB: '/data/lab.sqlite' })).toBe('/tmp/x.sqlite')
  })
})
