// A clerk's decision on a rider's self-registration: confirm (the reason
// — how it was checked — optional) or reject (a reason required, kept in
// the registry). Answers the worker after, or null when the clerk backs out.
import { ElMessage, ElMessageBox } from 'element-plus'
import { api, idempotencyKey } from '@/lib/api'
import { problemLine } from '@/lib/messages'
import type { Worker } from './types'

export async function decide(w: Pick<Worker, 'id' | 'name'>, how: 'confirm' | 'reject'): Promise<Worker | null> {
  let reason = ''
  try {
    const r = await ElMessageBox.prompt(
      how === 'confirm' ? `确认 ${w.name} 的自助登记。可注明核实方式（选填）：` : `退回 ${w.name} 的自助登记，请填写原因（必填，保存在台账中）：`,
      how === 'confirm' ? '确认登记' : '退回登记',
      {
        confirmButtonText: how === 'confirm' ? '确认' : '退回',
        cancelButtonText: '取消',
        inputPlaceholder: how === 'confirm' ? '如：电话核实，与平台信息一致' : '如：身份信息与本人不符',
        inputValidator: (v: string) => (how === 'reject' && !v?.trim() ? '请填写退回原因' : (v || '').length > 200 ? '不超过 200 字' : true),
        confirmButtonClass: how === 'reject' ? 'el-button--danger' : undefined,
      },
    )
    reason = (r as { value: string }).value?.trim() || ''
  } catch {
    return null
  }
  try {
    const out = await api.post<Worker>(`/registry/workers/${w.id}/${how}`, reason ? { reason } : {}, { 'Idempotency-Key': idempotencyKey() })
    ElMessage.success(how === 'confirm' ? `已确认 ${w.name}` : `已退回 ${w.name}`)
    return out
  } catch (e) {
    ElMessage.error(problemLine(e))
    return null
  }
}
