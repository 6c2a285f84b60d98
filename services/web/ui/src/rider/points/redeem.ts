// One redemption intent: the rider chose an item and a quantity and
// tapped 兑换. Its Idempotency-Key is made once, with the intent, and
// every retry of it sends the same key and the same body byte for byte,
// so the points service places it at most once: a double tap, or a retry
// after an answer lost on a bad network, replays the first redemption
// instead of spending twice.
import { ApiError, idempotencyKey } from '@/lib/api'

export interface RedeemBody {
  item_id: string
  quantity: number
}

/** Sends one try: the key and the body, answers the parsed result. */
export type Send<T> = (key: string, body: RedeemBody) => Promise<T>

/** The answer never came (no network, or a gateway gave up): the redemption may or may not be placed. */
export class LostAnswer extends Error {
  constructor(readonly cause: unknown) {
    super('the answer to the redemption was lost')
  }
}

/**
 * True for a failure after which the request may have been carried out, or
 * may be carried out yet: retry with the same key. That includes the
 * service saying the first try with this key is still running (a retry
 * after a lost answer can overtake it), or failed.
 */
export function answerLost(e: unknown): boolean {
  if (e instanceof ApiError) {
    const reason = e.body.reason
    return e.status >= 500 || e.status === 408 || (e.status === 409 && (reason === 'idempotency_in_progress' || reason === 'idempotency_failed'))
  }
  return true // fetch's TypeError: the network dropped the request or its answer
}

/** The service carried the redemption out, but its answer is gone for good: it is in 我的兑换. */
export function placedUnanswered(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.body.reason === 'idempotency_answer_lost'
}

export class Intent<T> {
  readonly key: string
  readonly body: RedeemBody
  /** A try is on its way: taps meanwhile do nothing. */
  sending = false
  /** The last try's answer was lost; a retry (same key) is safe. */
  lost = false

  constructor(itemId: string, quantity: number, key = idempotencyKey()) {
    this.key = key
    this.body = Object.freeze({ item_id: itemId, quantity })
  }

  /** The same choice as this intent (a retry may reuse it). */
  is(itemId: string, quantity: number) {
    return this.body.item_id === itemId && this.body.quantity === quantity
  }

  /**
   * Sends the intent; a lost answer is retried once at once, with the same
   * key, after `pause` ms. Answers the result, or null when a try was
   * already on its way (a second tap). Throws LostAnswer when both answers
   * were lost, or the service's refusal (ApiError).
   */
  async send(send: Send<T>, opts: { retries?: number; pause?: number; onRetry?: () => void } = {}): Promise<T | null> {
    if (this.sending) return null
    this.sending = true
    let tries = (opts.retries ?? 1) + 1
    try {
      for (;;) {
        try {
          const r = await send(this.key, this.body)
          this.lost = false
          return r
        } catch (e) {
          if (!answerLost(e)) {
            this.lost = false
            throw e
          }
          this.lost = true
          if (--tries <= 0) throw new LostAnswer(e)
          opts.onRetry?.()
          await new Promise((ok) => setTimeout(ok, opts.pause ?? 800))
        }
      }
    } finally {
      this.sending = false
    }
  }
}

// Intents whose answer was lost, by item: closing the sheet and opening it
// again for the same item and quantity retries with the same key.
const unanswered = new Map<string, Intent<unknown>>()

/** The intent for itemId × quantity: the unanswered one if it is the same choice, else a new one. */
export function intentFor<T>(itemId: string, quantity: number): Intent<T> {
  const old = unansweredFor(itemId)
  if (old && old.is(itemId, quantity)) return old as Intent<T>
  return new Intent<T>(itemId, quantity)
}

/** Keeps an intent whose answer was lost (or forgets it, once answered). */
export function remember(i: Intent<unknown>) {
  if (i.lost) unanswered.set(i.body.item_id, i)
  else unanswered.delete(i.body.item_id)
}

/** An unanswered intent for the item, if any. */
export function unansweredFor(itemId: string): Intent<unknown> | undefined {
  const i = unanswered.get(itemId)
  return i?.lost ? i : undefined
}
