import { describe, expect, it } from 'vitest'
import { ApiError } from '@/lib/api'
import { Intent, LostAnswer, answerLost, intentFor, placedUnanswered, remember, unansweredFor, type RedeemBody } from './redeem'

const lost = () => new TypeError('Failed to fetch')

describe('Intent', () => {
  it('sends one key and one body on every try', async () => {
    const seen: [string, string][] = []
    let n = 0
    const i = new Intent<string>('item-1', 2, 'key-1')
    const r = await i.send(async (key, body) => {
      seen.push([key, JSON.stringify(body)])
      if (n++ === 0) throw lost()
      return 'placed'
    }, { pause: 0 })
    expect(r).toBe('placed')
    expect(seen).toEqual([['key-1', '{"item_id":"item-1","quantity":2}'], ['key-1', '{"item_id":"item-1","quantity":2}']])
    expect(i.lost).toBe(false)
  })

  it('ignores a second tap while the first is on its way', async () => {
    let calls = 0
    let answer!: (v: string) => void
    const i = new Intent<string>('item-1', 1)
    const send = () => {
      calls++
      return new Promise<string>((ok) => (answer = ok))
    }
    const first = i.send(send)
    const second = i.send(send)
    answer('placed')
    expect(await first).toBe('placed')
    expect(await second).toBeNull()
    expect(calls).toBe(1)
  })

  it('gives up after one automatic retry, keeping the key for the next', async () => {
    const keys: string[] = []
    const i = new Intent<string>('item-1', 1)
    const failing = async (key: string) => {
      keys.push(key)
      throw lost()
    }
    await expect(i.send(failing, { pause: 0 })).rejects.toBeInstanceOf(LostAnswer)
    expect(i.lost).toBe(true)
    expect(keys).toHaveLength(2)
    // The rider taps 重试: the same key again.
    expect(await i.send(async (key) => (keys.push(key), 'placed'), { pause: 0 })).toBe('placed')
    expect(new Set(keys).size).toBe(1)
  })

  it('does not retry a refusal', async () => {
    let calls = 0
    const i = new Intent<string>('item-1', 1)
    const refused = async () => {
      calls++
      throw new ApiError(409, 'Conflict', 'not enough points')
    }
    await expect(i.send(refused, { pause: 0 })).rejects.toBeInstanceOf(ApiError)
    expect(calls).toBe(1)
    expect(i.lost).toBe(false)
  })

  it('retries, with the same key, while the service says the first try is still running', async () => {
    const keys: string[] = []
    const i = new Intent<string>('item-1', 1)
    const r = await i.send(async (key) => {
      keys.push(key)
      if (keys.length === 1) throw new ApiError(409, 'Conflict', 'still in progress', [], '', { reason: 'idempotency_in_progress' })
      return 'placed'
    }, { pause: 0 })
    expect(r).toBe('placed')
    expect(new Set(keys).size).toBe(1)
  })

  it('knows a redemption carried out whose answer is gone for good', () => {
    const gone = new ApiError(409, 'Conflict', 'answer was lost', [], '', { reason: 'idempotency_answer_lost' })
    expect(placedUnanswered(gone)).toBe(true)
    expect(answerLost(gone)).toBe(false) // the same key would only say so again
    expect(placedUnanswered(new ApiError(409, 'Conflict', 'not enough points'))).toBe(false)
  })

  it('retries a gateway failure (the service may have placed it)', async () => {
    let calls = 0
    const i = new Intent<string>('item-1', 1)
    const r = await i.send(async () => {
      if (calls++ === 0) throw new ApiError(502, 'Bad Gateway', '')
      return 'placed'
    }, { pause: 0 })
    expect(r).toBe('placed')
    expect(calls).toBe(2)
  })

  it('freezes the body', () => {
    const i = new Intent<string>('item-1', 1)
    expect(() => ((i.body as RedeemBody).quantity = 3)).toThrow()
  })
})

describe('intentFor', () => {
  it('reuses an unanswered intent for the same choice only', async () => {
    const i = intentFor<string>('item-9', 1)
    await expect(i.send(async () => { throw lost() }, { pause: 0 })).rejects.toBeInstanceOf(LostAnswer)
    remember(i)
    expect(intentFor('item-9', 1)).toBe(i)
    expect(intentFor('item-9', 2)).not.toBe(i)
    i.lost = false
    remember(i)
    expect(intentFor('item-9', 1)).not.toBe(i)
  })

  it('starts afresh once the lost one is answered', async () => {
    const i = intentFor<string>('item-8', 1)
    await expect(i.send(async () => { throw lost() }, { pause: 0 })).rejects.toBeInstanceOf(LostAnswer)
    remember(i)
    expect(await intentFor<string>('item-8', 1).send(async () => 'placed')).toBe('placed')
    // The page forgets it after the answer; even if it did not, an answered intent is never reused.
    expect(unansweredFor('item-8')).toBeUndefined()
    expect(intentFor('item-8', 1)).not.toBe(i)
  })
})
