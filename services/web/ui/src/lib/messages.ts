// Chinese words for what the services answer in English: the problem's
// status, each field-error code, and the field names a clerk sees.
import type { ApiError, FieldError } from './api'

const statusText: Record<number, string> = {
  400: '请求有误',
  401: '登录已失效，请重新登录',
  403: '没有权限',
  404: '没有找到',
  409: '与现有数据冲突',
  413: '文件或内容过大',
  415: '不支持的文件类型',
  422: '填写的内容有误',
  429: '操作太频繁，请稍后再试',
  503: '服务暂时不可用，请稍后再试',
}

const codeText: Record<string, string> = {
  required: '必填',
  invalid_length: '长度不对',
  invalid_format: '格式不对',
  invalid_date: '日期不对',
  invalid_check_character: '校验位不对',
  out_of_range: '超出范围',
  too_short: '太短',
  too_long: '太长',
  unknown_value: '不是可选的值',
  common_password: '过于常见，容易被猜中，请换一个',
  contains_username: '不能包含用户名',
}

/** Field labels, by the JSON name the services use. */
export const fieldLabels: Record<string, string> = {
  name: '姓名',
  mobile: '手机号',
  id_number: '身份证号',
  occupation: '职业',
  community: '社区',
  street: '街道',
  platform: '平台',
  enterprise_id: '企业',
  credit_code: '统一社会信用代码',
  title: '标题',
  starts_at: '开始时间',
  ends_at: '结束时间',
  capacity: '名额',
  lat: '纬度',
  lng: '经度',
  address: '地址',
  reason: '原因',
  note: '备注',
  points: '积分',
  password: '密码',
  new_password: '新密码',
  username: '用户名',
  code: '验证码',
  file: '文件',
  body: '内容',
  kind: '类型',
  host: '承办单位',
  opening_hours: '开放时间',
  facilities: '设施',
  worker_id: '新就业群体',
  staff_subject: '结对人账号',
  staff_name: '结对人姓名',
  contacted_at: '联系时间',
  method: '联系方式',
  closed_on: '关闭日期',
  price: '所需积分',
  stock: '库存',
  quantity: '数量',
  daily_cap: '每日上限',
  effective_from: '生效日期',
  per_hour: '每小时积分',
  per_valid_report: '每条随手拍积分',
  segment: '发送对象',
  template: '模板',
}

export function fieldText(e: FieldError): string {
  // opening_hours[0].open is named by its first part: 开放时间[0].open.
  const [head, rest] = splitField(e.field)
  const label = fieldLabels[e.field] || (fieldLabels[head] ? fieldLabels[head] + rest : e.field)
  return `${label}：${codeText[e.code] || e.message}`
}

type Body = Record<string, unknown>

// Every 409 names what is in the way by its `reason` (docs/api/README.md,
// "Errors"); these are the words a person reads for each. A few take a
// figure from the answer (what is left, what is unfinished).
const conflictText: Record<string, string | ((b: Body) => string)> = {
  // registry
  street_exists: '该街道代码已存在',
  community_exists: '该社区代码已存在',
  enterprise_exists: '该统一社会信用代码的企业已经登记',
  enterprise_closed: '该企业已登记关闭',
  worker_exists: '该身份证号的人员已经登记',
  worker_left: '该人员已注销登记，不能再办理',
  selfreg_rejected: '该人员的自助登记已被退回，不在台账中',
  station_closed: '该驿站已关闭',
  not_self_registered: '该人员由工作人员登记，没有需要确认的自助登记',
  selfreg_decided: '该自助登记已经处理过了，可能已被其他工作人员处理',
  pairing_exists: '该人员已有结对，请先结束原结对',
  pairing_ended: '该结对已结束',
  mobile_registered: '这个手机号已经报到过，请重新登录',
  id_number_registered: '这个身份证号已经登记过；如手机号有变，请联系所在社区更新',
  // activity
  activity_not_draft: '只有草稿可以发布，该活动可能已被发布或取消',
  activity_not_published: '活动尚未发布',
  activity_cancelled: '活动已取消',
  activity_full: '名额已满',
  activity_started: '活动已经开始',
  activity_ended: '活动已经结束',
  checkin_not_open: '活动开始前 1 小时才能签到',
  signup_required: '该活动需要先报名才能签到',
  not_invited: '需要先报名',
  not_signed_up: '没有报名该活动',
  not_checked_in: '还没有签到',
  already_checked_out: '已经签退过了',
  checkin_in_future: '签到时间晚于现在',
  need_not_open: '该需求已不是待对接状态（已撤回或已纳入项目）',
  resource_withdrawn: '该资源已撤回',
  project_not_proposed: '只有待认领的项目可以认领，该项目可能已被认领',
  project_not_claimed: '项目尚未认领或已经结束',
  project_tasks_open: (b) => (typeof b.open === 'number' ? `还有 ${b.open} 项任务未完成` : '还有任务未完成'),
  project_no_task_done: '项目还没有完成任何任务，不能结项',
  project_not_cancellable: '该项目已经结束，不能取消',
  illegal_transition: '当前状态下不能这样处理，可能已被其他工作人员处理，请刷新后查看',
  merge_into_itself: '不能合并到自身',
  report_merged: '已合并的随手拍不能再合并，也不能作为合并目标',
  report_not_open: '只有未办结的随手拍可以合并',
  merge_target_rejected: '不能合并到已驳回的随手拍',
  merge_category_differs: '只能合并同一类别的随手拍',
  // points
  stock_over_max: '超过了单件商品的库存上限',
  rule_exists: '该街道在这一天生效的积分规则已存在',
  item_withdrawn: '该商品已下架',
  out_of_stock: (b) => (typeof b.stock === 'number' ? `库存不足，只剩 ${b.stock} 件` : '库存不足'),
  redemption_not_cancellable: '该兑换已兑付或已取消，不能再取消',
  redemption_not_fulfillable: '该兑换已兑付或已取消',
  insufficient_balance: (b) => (typeof b.balance === 'number' ? `积分不足，余额只有 ${b.balance}` : '积分不足'),
  // identity and the sign-in
  account_exists: '该用户名的账号已存在',
  enrolment_pending: '报到信息还在保存，请稍后再试',
  no_enrolment_due: '请先用验证码登录，再填写报到',
  // any write sent with an Idempotency-Key
  idempotency_in_progress: '上一次提交还在处理中，请稍候',
  idempotency_answer_lost: '上一次提交已经完成，但没有收到结果，请刷新后查看',
  idempotency_failed: '上一次提交没有成功，请重试',
}

/** The words for a 409's reason, or '' for a reason this page does not know. */
export function conflictReason(reason: unknown, body: Body = {}): string {
  const t = typeof reason === 'string' && Object.hasOwn(conflictText, reason) ? conflictText[reason] : undefined
  return typeof t === 'function' ? t(body) : t || ''
}

/** What to show a person for err: a Chinese headline and the details. */
export function describe(err: unknown): { title: string; detail: string; fields: string[]; requestId?: string } {
  const e = err as ApiError
  if (e && typeof e.status === 'number') {
    const why = e.status === 409 ? conflictReason(e.body?.reason, e.body) : ''
    return {
      // A known reason says it all; the English detail is for the log.
      title: why || statusText[e.status] || `出错了（${e.status}）`,
      detail: why || !e.detail || e.detail === e.title ? '' : e.detail,
      fields: (e.errors || []).map(fieldText),
      // What an operator finds the request by in the services' logs.
      requestId: e.requestId || undefined,
    }
  }
  return { title: '网络异常，请检查网络后重试', detail: String((err as Error)?.message || err), fields: [] }
}

/** The JSON name before any index or member, and the rest: "a[0].b" → ["a", "[0].b"]. */
function splitField(field: string): [string, string] {
  const i = field.search(/[[.]/)
  return i < 0 ? [field, ''] : [field.slice(0, i), field.slice(i)]
}

/** err in one line, for a message bar: the headline, then what is wrong. */
export function problemLine(err: unknown): string {
  const d = describe(err)
  return [d.title, d.detail, ...d.fields].filter(Boolean).join('：')
}
