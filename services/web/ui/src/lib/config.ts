// What the deployment configures for the pages (GET /api/config): the
// map tiles' URL template, "" when there is no tile server.
import { api } from './api'

let config: Promise<{ tile_url: string }> | null = null

export function siteConfig() {
  if (!config) config = api.get<{ tile_url: string }>('/config').catch(() => ({ tile_url: '' }))
  return config
}
