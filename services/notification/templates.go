package notification

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Categories group messages for the recipients' channel preferences.
var Categories = []string{"welcome", "activity", "report", "points", "pairing", "task", "notice"}

// Template is one kind of message, in Chinese with an English fallback.
// Its text is Go text/template over string variables, all of which must be
// given and non-empty.
type Template struct {
	Key       string   `json:"key"`
	Category  string   `json:"category"`
	Vars      []string `json:"variables"`
	Broadcast bool     `json:"broadcast"` // street admins may broadcast it
	ZH        Text     `json:"zh_cn"`
	EN        Text     `json:"en"`
}

// Text is a template's title and body in one language.
type Text struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Message is a rendered template.
type Message struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// templates are the service's messages, kept in code so that a change is
// reviewed and tested like code.
var templates = []Template{
	{Key: "welcome", Category: "welcome", Vars: []string{"community", "stations"},
		ZH: Text{"欢迎加入{{.community}}", "欢迎您来到{{.community}}！离您最近的暖新驿站：{{.stations}}。累了渴了，随时进来歇歇脚。"},
		EN: Text{"Welcome to {{.community}}", "Welcome to {{.community}}! Warm stations near you: {{.stations}}. Drop in any time for a rest."}},
	{Key: "activity.published", Category: "activity", Vars: []string{"title", "starts_at", "place"},
		ZH: Text{"新活动：{{.title}}", "{{.title}}将于{{.starts_at}}在{{.place}}举行，欢迎报名参加。"},
		EN: Text{"New activity: {{.title}}", "{{.title}} takes place at {{.place}} on {{.starts_at}}. Sign up to join."}},
	{Key: "activity.tomorrow", Category: "activity", Vars: []string{"title", "starts_at", "place"},
		ZH: Text{"明天见：{{.title}}", "您报名的{{.title}}将于{{.starts_at}}在{{.place}}开始，记得准时参加。"},
		EN: Text{"Tomorrow: {{.title}}", "{{.title}}, which you signed up for, starts at {{.place}} on {{.starts_at}}."}},
	{Key: "activity.cancelled", Category: "activity", Vars: []string{"title"},
		ZH: Text{"活动取消：{{.title}}", "很抱歉，您报名的{{.title}}已取消。"},
		EN: Text{"Cancelled: {{.title}}", "We are sorry: {{.title}}, which you signed up for, has been cancelled."}},
	{Key: "report.submitted", Category: "report", Vars: []string{"category", "due_at"},
		ZH: Text{"随手拍已收到", "您反映的{{.category}}问题已提交社区，预计{{.due_at}}前处理。"},
		EN: Text{"Report received", "Your report ({{.category}}) has reached the community; it is due to be handled by {{.due_at}}."}},
	{Key: "report.status", Category: "report", Vars: []string{"category", "status"},
		ZH: Text{"随手拍进展：{{.status}}", "您反映的{{.category}}问题{{.status}}。"},
		EN: Text{"Your report: {{.status}}", "Your report ({{.category}}): {{.status}}."}},
	{Key: "points.earned", Category: "points", Vars: []string{"points", "balance"},
		ZH: Text{"积分到账 {{.points}}", "您获得{{.points}}志愿积分，当前余额{{.balance}}。"},
		EN: Text{"{{.points}} points earned", "You earned {{.points}} volunteer points; your balance is {{.balance}}."}},
	{Key: "points.redeemed", Category: "points", Vars: []string{"points", "balance"},
		ZH: Text{"积分兑换成功", "您已使用{{.points}}积分兑换，当前余额{{.balance}}。"},
		EN: Text{"Points redeemed", "You spent {{.points}} points; your balance is {{.balance}}."}},
	{Key: "star.reached", Category: "points", Vars: []string{"star", "hours"},
		ZH: Text{"恭喜升为{{.star}}星志愿者", "您累计志愿服务{{.hours}}小时，已达{{.star}}星级。感谢您的奉献！"},
		EN: Text{"You are now a {{.star}}-star volunteer", "With {{.hours}} hours of volunteer service you have reached {{.star}} stars. Thank you!"}},
	{Key: "pairing.overdue", Category: "pairing", Vars: []string{"month", "worker"},
		ZH: Text{"结对联系提醒", "您结对的骑手（{{.worker}}）{{.month}}尚无联系记录，请尽快联系。"},
		EN: Text{"Pairing contact overdue", "There is no contact with your paired worker ({{.worker}}) in {{.month}}; please get in touch."}},
	{Key: "task.deadline", Category: "task", Vars: []string{"deadline", "task"},
		ZH: Text{"任务即将到期", "您负责的任务（{{.task}}）将于{{.deadline}}到期。"},
		EN: Text{"Task due soon", "The task you are responsible for ({{.task}}) is due by {{.deadline}}."}},
	{Key: "warm_service_list", Category: "notice", Vars: []string{"month", "items"}, Broadcast: true,
		ZH: Text{"{{.month}}暖新服务清单", "本月为您准备：{{.items}}"},
		EN: Text{"Warm services for {{.month}}", "This month for you: {{.items}}"}},
	{Key: "policy_notice", Category: "notice", Vars: []string{"title", "content"}, Broadcast: true,
		ZH: Text{"{{.title}}", "{{.content}}"},
		EN: Text{"{{.title}}", "{{.content}}"}},
}

// Templates lists the templates by key.
func Templates() []Template {
	out := slices.Clone(templates)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func templateByKey(key string) (Template, bool) {
	i := slices.IndexFunc(templates, func(t Template) bool { return t.Key == key })
	if i < 0 {
		return Template{}, false
	}
	return templates[i], true
}

// checkVars validates variables against a template: every one it needs,
// non-empty, none it does not know, none too long.
func (t Template) checkVars(c *validate.Collector, vars map[string]string) {
	for _, v := range t.Vars {
		if strings.TrimSpace(vars[v]) == "" {
			c.Add("variables."+v, validate.CodeRequired, fmt.Sprintf("template %s needs %s", t.Key, v))
		}
	}
	for k, v := range vars {
		if !slices.Contains(t.Vars, k) {
			c.Add("variables."+k, validate.CodeUnknownValue, fmt.Sprintf("template %s has no variable %s; it takes %s",
				t.Key, k, strings.Join(t.Vars, ", ")))
			continue
		}
		c.Check(len([]rune(v)) <= 2000, "variables."+k, validate.CodeTooLong, "at most 2000 characters")
	}
}

// Render renders the template in lang (zh-CN, or en), falling back to the
// other language if one fails. vars must have passed checkVars.
func (t Template) Render(lang string, vars map[string]string) (Message, error) {
	first, second := t.ZH, t.EN
	if lang == "en" {
		first, second = t.EN, t.ZH
	}
	m, err := render(t.Key, first, vars)
	if err != nil {
		m, err = render(t.Key, second, vars)
	}
	return m, err
}

// parsed keeps each template's texts parsed once: a message is rendered
// for every event, and parsing costs more than executing. A parsed
// template executes safely from many goroutines at once.
var parsed sync.Map // key + "\x00" + text → *template.Template

func parse(key, src string) (*template.Template, error) {
	if tpl, ok := parsed.Load(key + "\x00" + src); ok {
		return tpl.(*template.Template), nil
	}
	tpl, err := template.New(key).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	parsed.Store(key+"\x00"+src, tpl)
	return tpl, nil
}

func render(key string, text Text, vars map[string]string) (Message, error) {
	var m Message
	for _, part := range []struct {
		src string
		out *string
	}{{text.Title, &m.Title}, {text.Body, &m.Body}} {
		if part.src == "" {
			return Message{}, fmt.Errorf("template %s: no text", key)
		}
		tpl, err := parse(key, part.src)
		if err != nil {
			return Message{}, fmt.Errorf("template %s: %w", key, err)
		}
		var b strings.Builder
		if err := tpl.Execute(&b, vars); err != nil {
			return Message{}, fmt.Errorf("template %s: %w", key, err)
		}
		*part.out = b.String()
	}
	return m, nil
}
