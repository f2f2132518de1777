// Preload bridge: exposes exactly the typed API contract from src/shared.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('wbc', {})
