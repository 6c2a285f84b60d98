// Chinese labels of the services' codes (the registry's own list lives in
// services/registry/labels.go; these match it). An unknown code shows as
// itself, so a new value is never hidden.
export const labels: Record<string, Record<string, string>> = {
  occupation: {
    food_delivery: '外卖骑手', courier: '快递员', ride_hailing_driver: '网约车司机',
    freight_driver: '货车司机', designated_driver: '代驾司机', other: '其他',
  },
  political_status: {
    masses: '群众', league_member: '共青团员', applicant: '入党申请人', activist: '入党积极分子',
    development_target: '发展对象', probationary_member: '预备党员', party_member: '中共党员', other_party: '民主党派',
  },
  enterprise_kind: {
    express_outlet: '快递末端网点', parcel_station: '驿站（菜鸟驿站等）', logistics: '物流企业',
    delivery_station: '外卖配送站', ride_hailing: '网约车企业', freight: '货运企业', other: '其他',
  },
  worker_status: { active: '在册', left: '已离开' },
  facility: {
    charging: '充电', water: '饮水', microwave: '微波炉', medicine: '药箱', toilet: '卫生间', aircon: '空调',
    heating: '取暖', books: '书报', pump: '打气筒', fridge: '冰箱', bed: '休息床', wifi: '无线网络',
    locker: '储物柜', umbrella: '雨伞', repair: '维修工具',
  },
  station_kind: { warm_station: '暖心驿站', rider_station: '骑手驿站', love_corner: '爱心角', shared_locker: '共享储物柜', other: '其他' },
  checkin_channel: { online: '线上报到', station: '驿站报到' },
  contact_method: { visit: '走访', phone: '电话', wechat: '微信', group_chat: '微信群', other: '其他' },
  station_status: { open: '开放中', closed: '已关闭' },
  enterprise_status: { active: '正常', closed: '已关闭' },
  confirmation: { pending: '待确认', confirmed: '已确认', rejected: '已退回' },
  activity_kind: {
    study: '理论学习', council: '骑手议事会', safety_training: '安全培训', anti_fraud: '反诈宣传',
    festival_visit: '节日慰问', health_check: '健康体检', haircut: '爱心义剪', volunteer_service: '志愿服务',
    campaign: '主题宣传', other: '其他活动',
  },
  // In the order a rider is offered them.
  report_category: {
    safety_hazard: '安全隐患', fire_risk: '消防隐患', traffic: '交通问题', environment: '环境卫生',
    facility: '设施损坏', dispute: '矛盾纠纷', suggestion: '意见建议', other: '其他',
  },
  report_status: {
    submitted: '待受理', accepted: '已受理', dispatched: '已派单', resolved: '已办结',
    closed: '已关闭', rejected: '已驳回', merged: '已合并',
  },
}

/** The label of code in vocab, or the code itself. */
export function label(vocab: string, code: string | undefined | null): string {
  if (!code) return ''
  return labels[vocab]?.[code] ?? code
}

/** The options of a vocabulary, for a select. */
export function options(vocab: string): { value: string; label: string }[] {
  return Object.entries(labels[vocab] || {}).map(([value, l]) => ({ value, label: l }))
}

/** A time as a clerk reads it: 2026-12-05 14:30, in China Standard Time. */
export function formatTime(iso: string | undefined | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const p = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d)
  const g = (t: string) => p.find((x) => x.type === t)?.value || ''
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}`
}

/** A date as 2026-12-05. */
export function formatDate(iso: string | undefined | null): string {
  return formatTime(iso).slice(0, 10)
}
