// The points service as the rider's pages call it (/api/points/…).
import { request } from '@/lib/api'
import { rider } from '../session'
import type { Account, Redemption, Store } from './text'

export const account = () => request<Account>('GET', `/points/accounts/${rider.workerId}`)

/** The stores that serve the rider (their street's street-wide ones and their community's). */
export async function stores(): Promise<Store[]> {
  return (await request<{ items: Store[] }>('GET', '/points/stores')).items
}

/** Places a redemption with the intent's key; answers it and whether it was a replay of an earlier try. */
export async function redeem(key: string, body: { item_id: string; quantity: number }) {
  const res = await request<Response>('POST', '/points/redemptions', { body, headers: { 'Idempotency-Key': key }, raw: true })
  const r = (await res.json()) as Redemption
  return { redemption: r, replayed: res.headers.get('Idempotent-Replayed') === 'true' }
}
