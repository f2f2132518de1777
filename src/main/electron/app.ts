// The hardened desktop window. Placeholder until the review issue fills it in.
import { app, BrowserWindow } from 'electron'
import { join } from 'node:path'

export function startDesktopApp(): void {
  app.whenReady().then(() => {
    const win = new BrowserWindow({
      width: 1366,
      height: 768,
      webPreferences: {
        preload: join(__dirname, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false
      }
    })
    void win.loadFile(join(__dirname, '../renderer/index.html'))
  })
}
