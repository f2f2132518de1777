// Where the workstation keeps its database. The default is the per-user data
// folder the desktop app uses (Electron's app.getPath('userData') for the
// product name "WBC Workstation"), computed here without Electron so the CLI
// and the app open the same file. WBC_DB overrides it; --db overrides both.
import { homedir } from 'node:os'
import { resolve, win32, posix } from 'node:path'

export const PRODUCT_NAME = 'WBC Workstation'
export const DB_FILE_NAME = 'wbc.sqlite'

type Env = Record<string, string | undefined>

/** The per-user application data folder, as Electron computes userData for PRODUCT_NAME. */
export function userDataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || win32.join(home, 'AppData', 'Roaming')
    return win32.join(appData, PRODUCT_NAME)
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', PRODUCT_NAME)
  const config = env.XDG_CONFIG_HOME || posix.join(home, '.config')
  return posix.join(config, PRODUCT_NAME)
}

export function defaultDbPath(env: Env = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const dir = userDataDir(env, platform, home)
  return platform === 'win32' ? win32.join(dir, DB_FILE_NAME) : posix.join(dir, DB_FILE_NAME)
}

/** The database file to open: --db, else $WBC_DB, else the desktop app's default. */
export function resolveDbPath(flag?: string, env: Env = process.env): string {
  if (flag) return resolve(flag)
  if (env.WBC_DB) return resolve(env.WBC_DB)
  return defaultDbPath(env)
}
