package registry

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Rosters (名册) are the whole lists street-office clerks send up to the
// district: enterprises, workers, the party members among them and the
// party-development candidates. A roster is exported in one piece (JSON,
// CSV or XLSX), streamed from the database row by row.
//
// Every export is recorded (roster_exports) before any of it is sent. One
// with personal data in full (pii=full: street and district admins only)
// also records a pii_reads row for each worker whose mobile and ID number
// go out, and then sends only the workers so recorded: a worker added to
// the scope in the meantime waits for the next export.

// Roster kinds, as they appear in the path /v1/rosters/{kind}.
const (
	RosterEnterprises  = "enterprises"
	RosterWorkers      = "workers"
	RosterPartyMembers = "party-members"
	RosterCandidates   = "candidates"
)

// RosterFormats are the formats a roster is exported in.
var RosterFormats = []string{"json", "csv", "xlsx"}

var (
	// partyMemberStatuses are the political statuses on the party-members roster.
	partyMemberStatuses = []string{"probationary_member", "party_member"}
	// candidateStatuses are the stages of the party-development pipeline, in
	// order; probationary members are on both rosters.
	candidateStatuses = []string{"applicant", "activist", "development_target", "probationary_member"}
)

const (
	piiMasked = "masked"
	piiFull   = "full"
	// allStatuses asks the workers roster for active and departed workers.
	allStatuses = "all"
)

// RosterQuery asks for a roster.
type RosterQuery struct {
	Kind      string
	Street    string
	Community string
	// Status filters the workers roster: active (the default), left or all.
	// The party rosters list active workers only.
	Status string
	// Occupation filters the workers roster.
	Occupation string
	Format     string // json (the default), csv or xlsx
	PII        string // masked (the default) or full
}

func (q RosterQuery) full() bool { return q.PII == piiFull }

// filters is what the export covered, for its audit record.
func (q RosterQuery) filters() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"street": q.Street, "community": q.Community, "status": q.Status, "occupation": q.Occupation} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// rosterEntry is one row of a roster: an enterprise or a worker, with the
// names a spreadsheet shows instead of codes. Mobile and ID number are
// masked unless the export is in full.
type rosterEntry struct {
	Seq            int        // 序号, from 1
	Enterprise     Enterprise // the enterprises roster
	Worker         Worker     // the worker rosters
	StreetName     string
	CommunityName  string
	EnterpriseName string     // the worker's enterprise, "" when none
	StepOn         *time.Time // candidates: the date of the latest step, nil before the first
	StepPartyOrg   string     // candidates: the party organisation responsible for it
	Gender         string     // male or female, from the ID number in full; "" when masked
}

// RosterEnterprise is an enterprise in a roster's JSON.
type RosterEnterprise struct {
	Enterprise
	StreetName    string `json:"street_name"`
	CommunityName string `json:"community_name"`
}

// RosterWorker is a worker in a roster's JSON: the worker as the API shows
// it, with the names of its street, community and enterprise, and its
// gender (male or female, from the ID number) when the export is in full.
type RosterWorker struct {
	Worker
	StreetName     string `json:"street_name"`
	CommunityName  string `json:"community_name"`
	EnterpriseName string `json:"enterprise_name"`
	Gender         string `json:"gender,omitempty"`
}

// RosterCandidate is a party-development candidate in a roster's JSON:
// their stage is the political status; StageOn (2006-01-02) and
// StagePartyOrg come from their latest step and are "" before the first.
type RosterCandidate struct {
	RosterWorker
	StageOn       string `json:"stage_on"`
	StagePartyOrg string `json:"stage_party_org"`
}

// rosterColumn is a column of a roster spreadsheet: its header as clerks
// write it, its width in characters, and its cell (a string or an int).
type rosterColumn struct {
	header string
	width  float64
	cell   func(e *rosterEntry) any
}

// The columns of the worker rosters.
var (
	colSeq         = rosterColumn{"序号", 6, func(e *rosterEntry) any { return e.Seq }}
	colName        = rosterColumn{"姓名", 10, func(e *rosterEntry) any { return e.Worker.Name }}
	colGender      = rosterColumn{"性别", 6, func(e *rosterEntry) any { return labelOf("gender", e.Gender) }}
	colMobile      = rosterColumn{"手机号", 14, func(e *rosterEntry) any { return e.Worker.Mobile }}
	colIDNumber    = rosterColumn{"身份证号", 21, func(e *rosterEntry) any { return e.Worker.IDNumber }}
	colOccupation  = rosterColumn{"职业", 11, func(e *rosterEntry) any { return labelOf("occupation", e.Worker.Occupation) }}
	colStreet      = rosterColumn{"所属街道", 14, func(e *rosterEntry) any { return e.StreetName }}
	colCommunity   = rosterColumn{"所属社区", 14, func(e *rosterEntry) any { return e.CommunityName }}
	colEnterprise  = rosterColumn{"所属企业", 26, func(e *rosterEntry) any { return e.EnterpriseName }}
	colPlatform    = rosterColumn{"从业平台", 10, func(e *rosterEntry) any { return e.Worker.Platform }}
	colPolitical   = rosterColumn{"政治面貌", 13, func(e *rosterEntry) any { return labelOf("political_status", e.Worker.PoliticalStatus) }}
	colMobileParty = rosterColumn{"是否流动党员", 13, func(e *rosterEntry) any { return yesNo(e.Worker.MobilePartyMember) }}
	colHomeOrg     = rosterColumn{"党组织关系所在地", 30, func(e *rosterEntry) any { return e.Worker.HomePartyOrg }}
	colStatus      = rosterColumn{"状态", 8, func(e *rosterEntry) any { return labelOf("status", e.Worker.Status) }}
	colRegistered  = rosterColumn{"登记时间", 12, func(e *rosterEntry) any { return shanghaiDate(e.Worker.CreatedAt) }}
	colStage       = rosterColumn{"阶段", 13, func(e *rosterEntry) any { return labelOf("political_status", e.Worker.PoliticalStatus) }}
	colStageOn     = rosterColumn{"日期", 12, func(e *rosterEntry) any { return stepDate(e.StepOn) }}
	colStageOrg    = rosterColumn{"培养联系组织", 30, func(e *rosterEntry) any { return e.StepPartyOrg }}
)

// The columns of the enterprises roster.
var enterpriseColumns = []rosterColumn{
	colSeq,
	{"企业名称", 30, func(e *rosterEntry) any { return e.Enterprise.Name }},
	{"类型", 18, func(e *rosterEntry) any { return labelOf("enterprise_kind", e.Enterprise.Kind) }},
	{"统一社会信用代码", 21, func(e *rosterEntry) any { return e.Enterprise.CreditCode }},
	{"所属街道", 14, func(e *rosterEntry) any { return e.StreetName }},
	{"所属社区", 14, func(e *rosterEntry) any { return e.CommunityName }},
	{"地址", 36, func(e *rosterEntry) any { return e.Enterprise.Address }},
	{"联系人", 10, func(e *rosterEntry) any { return e.Enterprise.Contact.Name }},
	{"联系电话", 14, func(e *rosterEntry) any { return e.Enterprise.Contact.Mobile }},
	{"是否建立党组织", 15, func(e *rosterEntry) any { return yesNo(e.Enterprise.HasPartyOrg) }},
	{"登记时间", 12, func(e *rosterEntry) any { return shanghaiDate(e.Enterprise.CreatedAt) }},
}

// rosterSpec describes one kind of roster.
type rosterSpec struct {
	title    string // the sheet's and the file's name, as clerks call the roster
	fileStem string // the file's ASCII name, for clients that cannot read the other
	// columns lists the spreadsheet columns; 性别 needs the ID number in full.
	columns func(full bool) []rosterColumn
	item    func(e *rosterEntry) any // the entry in JSON
}

// withGender inserts 性别 after 姓名 when the ID numbers are in full.
func withGender(full bool, cols ...rosterColumn) []rosterColumn {
	if !full {
		return cols
	}
	return append([]rosterColumn{cols[0], cols[1], colGender}, cols[2:]...)
}

var rosterSpecs = map[string]rosterSpec{
	RosterEnterprises: {
		title: "新业态企业名册", fileStem: "enterprises-roster",
		columns: func(bool) []rosterColumn { return enterpriseColumns },
		item: func(e *rosterEntry) any {
			return RosterEnterprise{Enterprise: e.Enterprise, StreetName: e.StreetName, CommunityName: e.CommunityName}
		},
	},
	RosterWorkers: {
		title: "新就业群体名册", fileStem: "workers-roster",
		columns: func(full bool) []rosterColumn {
			return withGender(full, colSeq, colName, colMobile, colIDNumber, colOccupation, colStreet, colCommunity,
				colEnterprise, colPlatform, colPolitical, colMobileParty, colHomeOrg, colStatus, colRegistered)
		},
		item: func(e *rosterEntry) any { return rosterWorker(e) },
	},
	RosterPartyMembers: {
		title: "党员名册", fileStem: "party-members-roster",
		columns: func(full bool) []rosterColumn {
			return withGender(full, colSeq, colName, colMobile, colIDNumber, colOccupation, colStreet, colCommunity,
				colEnterprise, colPlatform, colPolitical, colMobileParty, colHomeOrg, colRegistered)
		},
		item: func(e *rosterEntry) any { return rosterWorker(e) },
	},
	RosterCandidates: {
		title: "党员发展名册", fileStem: "party-candidates-roster",
		columns: func(full bool) []rosterColumn {
			return withGender(full, colSeq, colName, colMobile, colIDNumber, colOccupation, colStreet, colCommunity,
				colEnterprise, colStage, colStageOn, colStageOrg)
		},
		item: func(e *rosterEntry) any {
			return RosterCandidate{RosterWorker: rosterWorker(e), StageOn: stepDate(e.StepOn), StagePartyOrg: e.StepPartyOrg}
		},
	},
}

func rosterWorker(e *rosterEntry) RosterWorker {
	return RosterWorker{Worker: e.Worker, StreetName: e.StreetName, CommunityName: e.CommunityName,
		EnterpriseName: e.EnterpriseName, Gender: e.Gender}
}

// genderOf reads the gender from a resident ID number: the 17th character
// is odd for men and even for women. (The masked number keeps it too, but
// a roster shows the gender only with the ID number in full.)
func genderOf(idNumber string) string {
	if len(idNumber) != 18 || idNumber[16] < '0' || idNumber[16] > '9' {
		return ""
	}
	if (idNumber[16]-'0')%2 == 1 {
		return "male"
	}
	return "female"
}

// shanghaiDate is the calendar date of t in the district, as clerks write it.
func shanghaiDate(t time.Time) string { return t.In(Shanghai).Format(time.DateOnly) }

func stepDate(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly) // a date column: no time zone to convert
}

// RosterExport is a roster checked, scoped and recorded, ready to be sent
// with each.
type RosterExport struct {
	Query    RosterQuery // with the caller's scope applied and defaults filled in
	Title    string
	FileStem string
	Columns  []rosterColumn
	Rows     int       // rows in the roster when the export was recorded
	At       time.Time // when it was asked for

	id   uuid.UUID // of the roster_exports row
	spec rosterSpec
	svc  *Service
}

// Roster checks a request for a roster and records the export, before
// anything of it is sent. Staff only; a worker gets 403. Street and
// community filters narrow the caller's scope; a filter outside it is a
// field error, as for a place that does not exist. Personal data in full (pii=full) is for street
// and district admins; community staff get 403.
func (s *Service) Roster(ctx context.Context, p auth.Principal, q RosterQuery, requestID string) (*RosterExport, error) {
	if !p.IsStaff() {
		return nil, fault.Forbiddenf("only staff may export rosters")
	}
	spec, ok := rosterSpecs[q.Kind]
	if !ok {
		return nil, fault.NotFoundf("no such roster: %s", q.Kind)
	}
	q, err := checkRosterQuery(q)
	if err != nil {
		return nil, err
	}
	if q.full() && !p.AtLeastStreetAdmin() {
		return nil, fault.Forbiddenf("only street or district admins may export personal data in full")
	}
	x := &RosterExport{Title: spec.title, FileStem: spec.fileStem, Columns: spec.columns(q.full()),
		At: s.now(), spec: spec, svc: s}
	var c validate.Collector
	lq, err := s.scopeQuery(ctx, p, &c, ListQuery{Street: q.Street, Community: q.Community})
	if err != nil {
		return nil, err
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	q.Street, q.Community = lq.Street, lq.Community
	x.Query = q
	x.id = newID()
	x.Rows, err = s.store.RecordRosterExport(ctx, rosterAudit{id: x.id, actor: p, query: q, requestID: requestID})
	if err != nil {
		return nil, wrap("record roster export", err)
	}
	return x, nil
}

// checkRosterQuery validates the parameters and fills in the defaults.
// Filters a roster does not have are dropped.
func checkRosterQuery(q RosterQuery) (RosterQuery, error) {
	var c validate.Collector
	if q.Format == "" {
		q.Format = "json"
	}
	c.OneOf("format", q.Format, RosterFormats)
	if q.PII == "" {
		q.PII = piiMasked
	}
	c.OneOf("pii", q.PII, []string{piiMasked, piiFull})
	if q.Kind == RosterWorkers {
		if q.Status == "" {
			q.Status = StatusActive
		}
		c.OneOf("status", q.Status, []string{StatusActive, StatusLeft, allStatuses})
		if q.Occupation != "" {
			c.OneOf("occupation", q.Occupation, Occupations)
		}
	} else {
		q.Status, q.Occupation = "", ""
	}
	return q, c.Err()
}

// item is the entry as the JSON format sends it.
func (x *RosterExport) item(e *rosterEntry) any { return x.spec.item(e) }

// each sends the roster's entries to fn in order, numbered from 1, with
// mobile and ID number in full when the export is. It returns how many
// entries fn received. The entry is reused: fn must not keep it.
func (x *RosterExport) each(ctx context.Context, fn func(e *rosterEntry) error) (int, error) {
	n := 0
	err := x.svc.store.EachRosterEntry(ctx, x.Query, x.id, func(e *rosterEntry) error {
		n++
		e.Seq = n
		if x.Query.full() {
			if err := x.svc.reveal(x.Query.Kind, e); err != nil {
				return err
			}
		}
		return fn(e)
	})
	if err != nil {
		return n, wrap("export roster", err)
	}
	return n, nil
}

// reveal replaces the masked personal data of an entry with the decrypted
// values.
func (s *Service) reveal(kind string, e *rosterEntry) error {
	if kind != RosterEnterprises {
		mobile, err := s.box.Open(e.Worker.mobileEnc, aadMobile)
		if err != nil {
			return wrap("open mobile", err)
		}
		idNumber, err := s.box.Open(e.Worker.idNumberEnc, aadIDNumber)
		if err != nil {
			return wrap("open id number", err)
		}
		e.Worker.Mobile, e.Worker.IDNumber, e.Gender = mobile, idNumber, genderOf(idNumber)
		return nil
	}
	mobile, err := s.openContactMobile(e.Enterprise)
	if err != nil {
		return wrap("open contact mobile", err)
	}
	e.Enterprise.Contact.Mobile = mobile
	return nil
}
