package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// Shanghai is the time zone the district's days and months are counted in.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600) // no DST in China since 1991
	}
	return loc
}()

// dayOf is the Shanghai calendar day of t, as midnight UTC of that date
// (how pgx hands a Postgres date over).
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// fact is what an entity counts for in a stock figure while it is in its
// present state: Value under the figure's Metric and Key.
type fact struct {
	Metric string `json:"m"`
	Key    string `json:"k,omitempty"`
	Value  int64  `json:"v"`
}

// entity is the state of one thing a figure follows (a worker, a report):
// where it is, the stock figures it counts in, and what later events about
// it need (attrs).
type entity struct {
	Street    string            `json:"s,omitempty"`
	Community string            `json:"c,omitempty"`
	Facts     []fact            `json:"f,omitempty"`
	Attrs     map[string]string `json:"a,omitempty"`
}

// ref names an entity.
type ref struct{ kind, id string }

// cell is one figure of one area on one day.
type cell struct {
	metric, key, street, community string
	day                            time.Time
}

// changes is what applying a run of events does: the entities they
// changed and the changes to the figures, summed per cell. The projection
// works on it without a database; the projector loads the entities a run
// needs before and writes both after.
type changes struct {
	entities map[ref]*entity // nil: known not to exist
	dirty    map[ref]bool
	deltas   map[cell]int64
	// missing, when set, is called for an entity the projector did not
	// load: it loads it (rarely: every entity a run touches is listed by
	// refsOf and loaded at once).
	missing func(ref) (*entity, error)
}

func newChanges() *changes {
	return &changes{entities: map[ref]*entity{}, dirty: map[ref]bool{}, deltas: map[cell]int64{}}
}

func (c *changes) get(r ref) (*entity, error) {
	if e, ok := c.entities[r]; ok {
		return e, nil
	}
	var e *entity
	if c.missing != nil {
		var err error
		if e, err = c.missing(r); err != nil {
			return nil, err
		}
	}
	c.entities[r] = e
	return e, nil
}

// set gives an entity its new state on day: the stock figures it counted
// in (where it was) lose it and those it counts in now (where it is) gain
// it. A nil state removes it.
func (c *changes) set(r ref, day time.Time, now *entity) error {
	before, err := c.get(r)
	if err != nil {
		return err
	}
	if before != nil {
		for _, f := range before.Facts {
			c.add(f.Metric, f.Key, before.Street, before.Community, day, -f.Value)
		}
	}
	if now != nil {
		for _, f := range now.Facts {
			c.add(f.Metric, f.Key, now.Street, now.Community, day, f.Value)
		}
	}
	c.entities[r] = now
	c.dirty[r] = true
	return nil
}

// add changes a figure on day in an area and in the areas above it (the
// street, the district).
func (c *changes) add(metric, key, street, community string, day time.Time, v int64) {
	if v == 0 {
		return
	}
	c.deltas[cell{metric, key, "", "", day}] += v
	if street == "" {
		return
	}
	c.deltas[cell{metric, key, street, "", day}] += v
	if community != "" {
		c.deltas[cell{metric, key, street, community, day}] += v
	}
}

// distinct counts worker once per month in a Distinct figure, in each
// area level separately: a volunteer active in two communities counts in
// each, and once in their street and the district.
func (c *changes) distinct(metric, worker, street, community string, day time.Time) error {
	month := day.Format("2006-01")
	levels := [][2]string{{"", ""}}
	if street != "" {
		levels = append(levels, [2]string{street, ""})
		if community != "" {
			levels = append(levels, [2]string{street, community})
		}
	}
	for _, l := range levels {
		r := ref{"seen", metric + "|" + month + "|" + l[0] + "|" + l[1] + "|" + worker}
		e, err := c.get(r)
		if err != nil {
			return err
		}
		if e != nil {
			continue
		}
		c.entities[r] = &entity{Street: l[0], Community: l[1]}
		c.dirty[r] = true
		c.deltas[cell{metric, "", l[0], l[1], day}]++
	}
	return nil
}

// decoded is an archived event with its data decoded into the catalog's
// type for it.
type decoded struct {
	env  event.Envelope
	name event.Name
	data any
}

// handled lists the events the statistics count, each with a new value
// of its data type. Every event of the catalog is either here or in
// Ignored (a test holds the catalog to that).
var handled = map[event.Name]func() any{
	event.EnterpriseRegistered: func() any { return &event.EnterpriseData{} },
	event.EnterpriseUpdated:    func() any { return &event.EnterpriseData{} },
	event.WorkerRegistered:     func() any { return &event.WorkerData{} },
	event.WorkerUpdated:        func() any { return &event.WorkerData{} },
	event.WorkerLeft:           func() any { return &event.WorkerData{} },
	event.WorkerRejected:       func() any { return &event.WorkerData{} },
	event.WorkerStatusChanged:  func() any { return &event.WorkerStatusChangedData{} },
	event.WorkerTransferred:    func() any { return &event.WorkerTransferredData{} },
	event.WorkerCheckedIn:      func() any { return &event.CheckInData{} },
	event.StationOpened:        func() any { return &event.StationData{} },
	event.PairingCreated:       func() any { return &event.PairingData{} },
	event.PairingEnded:         func() any { return &event.PairingData{} },
	event.PairingContacted:     func() any { return &event.PairingContactedData{} },
	event.PairingOverdue:       func() any { return &event.PairingOverdueData{} },

	event.ActivityPublished:   func() any { return &event.ActivityData{} },
	event.ActivityCancelled:   func() any { return &event.ActivityData{} },
	event.SignupCreated:       func() any { return &event.SignupData{} },
	event.SignupWithdrawn:     func() any { return &event.SignupData{} },
	event.AttendanceRecorded:  func() any { return &event.AttendanceData{} },
	event.ReportSubmitted:     func() any { return &event.ReportSubmittedData{} },
	event.ReportStatusChanged: func() any { return &event.ReportStatusChangedData{} },
	event.NeedCreated:         func() any { return &event.NeedData{} },
	event.NeedStatusChanged:   func() any { return &event.NeedStatusChangedData{} },
	event.ResourceCreated:     func() any { return &event.ResourceData{} },
	event.ResourceWithdrawn:   func() any { return &event.ResourceData{} },
	event.ProjectCreated:      func() any { return &event.ProjectData{} },
	event.ProjectClaimed:      func() any { return &event.ProjectData{} },
	event.ProjectCompleted:    func() any { return &event.ProjectData{} },
	event.ProjectCancelled:    func() any { return &event.ProjectData{} },
	event.TaskCreated:         func() any { return &event.TaskData{} },
	event.TaskStatusChanged:   func() any { return &event.TaskData{} },

	event.PointsEarned:   func() any { return &event.PointsData{} },
	event.PointsRedeemed: func() any { return &event.PointsData{} },
	event.PointsRefunded: func() any { return &event.PointsData{} },
	event.PointsAdjusted: func() any { return &event.PointsData{} },
	event.StarChanged:    func() any { return &event.StarChangedData{} },

	event.NotificationDelivered: func() any { return &event.DeliveryData{} },
	event.NotificationFailed:    func() any { return &event.DeliveryData{} },
	event.InboxStored:           func() any { return &event.InboxStoredData{} },
	event.BroadcastSent:         func() any { return &event.BroadcastSentData{} },
}

// Counts reports whether some figure counts events of that name.
func Counts(n event.Name) bool { _, ok := handled[n]; return ok }

// Ignored are the catalog's events no figure counts, and why.
var Ignored = map[event.Name]string{
	// Until the station and enterprise figures count closings (a closed
	// station leaves stations*, a closed enterprise leaves enterprises*),
	// these are archived and rebuilt from when a figure does.
	event.StationUpdated:   "not yet counted: station figures count openings (a kind or facility edit could move stations_by_*)",
	event.StationClosed:    "not yet counted: station figures count openings, not closings",
	event.EnterpriseClosed: "not yet counted: enterprise figures count registrations, not closings",
	event.StreetCreated:    "a place, not a figure: kept by pkg/places for scope checks and names",
	event.CommunityCreated: "a place, not a figure: kept by pkg/places for scope checks and names",
	// A confirmation changes none of the worker's figures: they count from
	// worker.registered on, and leave them if rejected (worker.rejected).
	event.WorkerConfirmed: "a clerk's decision that changes no figure: the worker counts since registered",
	// The identity service's audit trail (its stream is not one stats reads).
	event.AccountCreated:       "an audit record of sign-in, not a figure of the district",
	event.AccountSignedIn:      "an audit record of sign-in, not a figure of the district",
	event.AccountSignInFailed:  "an audit record of sign-in, not a figure of the district",
	event.AccountLocked:        "an audit record of sign-in, not a figure of the district",
	event.AccountDisabled:      "an audit record of sign-in, not a figure of the district",
	event.AccountEnabled:       "an audit record of sign-in, not a figure of the district",
	event.AccountPasswordReset: "an audit record of sign-in, not a figure of the district",
	event.AccountRoleChanged:   "an audit record of sign-in, not a figure of the district",
	event.RiderSignedIn:        "an audit record of sign-in, not a figure of the district",
	event.RiderSignInFailed:    "an audit record of sign-in, not a figure of the district",
	// Riders' enrolments count once registered, by registry.worker.registered.
	event.RiderEnrolmentStarted: "an audit record of sign-in, not a figure of the district",
}

// decode reads an event's data; ok is false for an event no figure counts.
func decode(e event.Envelope) (d decoded, ok bool, err error) {
	name, err := e.Name()
	if err != nil {
		return decoded{}, false, err
	}
	newData, ok := handled[name]
	if !ok {
		return decoded{}, false, nil
	}
	data := newData()
	if err := e.Decode(data); err != nil {
		return decoded{}, false, err
	}
	return decoded{env: e, name: name, data: data}, true, nil
}

// refsOf lists the entities applying d reads, so that a run's are loaded
// in one query.
func refsOf(d decoded) []ref {
	switch x := d.data.(type) {
	case *event.EnterpriseData:
		return []ref{{"enterprise", x.EnterpriseID}}
	case *event.WorkerData:
		return []ref{{"worker", x.WorkerID}}
	case *event.WorkerStatusChangedData:
		return []ref{{"worker", x.WorkerID}}
	case *event.WorkerTransferredData:
		return []ref{{"worker", x.WorkerID}, {"worker_pairings", x.WorkerID}}
	case *event.StationData:
		return []ref{{"station", x.StationID}}
	case *event.PairingData:
		return []ref{{"pairing", x.PairingID}, {"worker_pairings", x.WorkerID}}
	case *event.ActivityData:
		return []ref{{"activity", x.ActivityID}}
	case *event.AttendanceData:
		// The community level's mark is loaded when needed: the
		// community is the activity's, known only once it is loaded.
		month := dayOf(attendanceTime(x)).Format("2006-01")
		return []ref{{"activity", x.ActivityID}, {"seen", "volunteers|" + month + "|||" + x.WorkerID},
			{"seen", "volunteers|" + month + "|" + x.Street + "||" + x.WorkerID}}
	case *event.ReportSubmittedData:
		return []ref{{"report", x.ReportID}}
	case *event.ReportStatusChangedData:
		return []ref{{"report", x.ReportID}}
	case *event.NeedData:
		return []ref{{"need", x.NeedID}}
	case *event.NeedStatusChangedData:
		return []ref{{"need", x.NeedID}}
	case *event.ResourceData:
		return []ref{{"resource", x.ResourceID}}
	case *event.ProjectData:
		return []ref{{"project", x.ProjectID}}
	case *event.TaskData:
		return []ref{{"task", x.TaskID}}
	case *event.StarChangedData:
		return []ref{{"star", x.WorkerID}}
	}
	return nil
}

// laterRefs lists the entities applying d reads that refsOf cannot name
// before the entities it lists are loaded: an attendance's mark at its
// activity's community.
//
// published are the activities published earlier in the same run, by id:
// an attendance often follows its activity closely enough to share its
// chunk, and the activity is then not yet among the loaded entities.
func (c *changes) laterRefs(d decoded, published map[string]*event.ActivityData) []ref {
	x, ok := d.data.(*event.AttendanceData)
	if !ok || x.Corrects {
		return nil
	}
	street, community := "", ""
	if a := c.entities[ref{"activity", x.ActivityID}]; a != nil {
		street, community = a.Street, a.Community
	} else if a := published[x.ActivityID]; a != nil {
		street, community = a.Street, a.Community
	}
	if street != x.Street || community == "" {
		return nil
	}
	month := dayOf(attendanceTime(x)).Format("2006-01")
	return []ref{{"seen", "volunteers|" + month + "|" + x.Street + "|" + community + "|" + x.WorkerID}}
}

// apply applies one event to the figures.
func (c *changes) apply(d decoded) error {
	at := d.env.Time
	day := dayOf(at)
	switch x := d.data.(type) {
	case *event.EnterpriseData:
		return c.set(ref{"enterprise", x.EnterpriseID}, day, enterpriseState(x))

	case *event.WorkerData:
		if d.name == event.WorkerLeft {
			if w, err := c.get(ref{"worker", x.WorkerID}); err != nil {
				return err
			} else if w != nil && w.Attrs["status"] != "left" {
				c.add("workers_left", "", x.Street, x.Community, day, 1)
			}
		}
		return c.set(ref{"worker", x.WorkerID}, day, workerState(x.Street, x.Community, map[string]string{
			"occupation": x.Occupation, "platform": x.Platform, "political_status": x.PoliticalStatus,
			"mobile_party_member": strconv.FormatBool(x.MobilePartyMember), "status": x.Status}))

	case *event.WorkerStatusChangedData:
		w, err := c.get(ref{"worker", x.WorkerID})
		if err != nil || w == nil {
			return err // a step for a worker never registered: nothing to move
		}
		attrs := cloneAttrs(w.Attrs)
		attrs["political_status"] = x.To
		return c.set(ref{"worker", x.WorkerID}, dateOr(x.EffectiveOn, day), workerState(w.Street, w.Community, attrs))

	case *event.WorkerTransferredData:
		// Published once per street involved; the move counts once, by
		// the copy of the street it left (pkg/event, WorkerTransferred).
		if d.env.Street != x.FromStreet {
			return nil
		}
		w, err := c.get(ref{"worker", x.WorkerID})
		if err != nil || w == nil {
			return err
		}
		attrs := cloneAttrs(w.Attrs)
		if x.PoliticalStatus != "" {
			attrs["political_status"] = x.PoliticalStatus
		}
		when := dateOr(x.EffectiveOn, day)
		if err := c.set(ref{"worker", x.WorkerID}, when, workerState(x.ToStreet, x.ToCommunity, attrs)); err != nil {
			return err
		}
		return c.movePairings(x.WorkerID, x.ToStreet, x.ToCommunity, when)

	case *event.CheckInData:
		when := dayOf(cmpTime(x.CheckedInAt, at))
		c.add("checkins", "", x.Street, x.Community, when, 1)
		c.add("checkins_by_channel", x.Channel, x.Street, x.Community, when, 1)
		return nil

	case *event.StationData:
		facts := []fact{{"stations", "", 1}, {"stations_by_kind", x.Kind, 1}}
		for _, f := range uniq(x.Facilities) {
			facts = append(facts, fact{"stations_by_facility", f, 1})
		}
		return c.set(ref{"station", x.StationID}, day, &entity{Street: x.Street, Community: x.Community, Facts: facts})

	case *event.PairingData:
		if d.name == event.PairingEnded {
			when := day
			if x.EndedAt != nil {
				when = dayOf(*x.EndedAt)
			}
			if err := c.pairingOf(x.WorkerID, x.PairingID, false, when); err != nil {
				return err
			}
			return c.set(ref{"pairing", x.PairingID}, when, &entity{Street: x.Street, Community: x.Community,
				Attrs: map[string]string{"ended": "true"}})
		}
		if p, err := c.get(ref{"pairing", x.PairingID}); err != nil || p != nil {
			return err // already known (ended, or created twice)
		}
		when := dayOf(cmpTime(x.CreatedAt, at))
		if err := c.pairingOf(x.WorkerID, x.PairingID, true, when); err != nil {
			return err
		}
		return c.set(ref{"pairing", x.PairingID}, when,
			&entity{Street: x.Street, Community: x.Community, Facts: []fact{{"pairings", "", 1}}})
	case *event.PairingContactedData:
		c.add("pairing_contacts", "", x.Street, x.Community, dayOf(cmpTime(x.ContactedAt, at)), 1)
		return nil
	case *event.PairingOverdueData:
		// Counted on the month's last day, beside the pairings at its end.
		if m, err := time.Parse("2006-01", x.Month); err == nil {
			c.add("pairings_overdue", "", x.Street, x.Community, m.AddDate(0, 1, -1), 1)
		}
		return nil

	case *event.ActivityData:
		return c.activity(d.name, x)
	case *event.SignupData:
		v := int64(1)
		if d.name == event.SignupWithdrawn {
			v = -1
		}
		c.add("signups", "", x.Street, x.Community, dayOf(cmpTime(x.StartsAt, at)), v)
		return nil
	case *event.AttendanceData:
		return c.attendance(x)

	case *event.ReportSubmittedData:
		return c.reportSubmitted(x, day)
	case *event.ReportStatusChangedData:
		return c.reportChanged(x, at)

	case *event.NeedData:
		return c.set(ref{"need", x.NeedID}, day, listItem(x.Street, x.Community, "needs_by_state", "open"))
	case *event.NeedStatusChangedData:
		return c.set(ref{"need", x.NeedID}, day, listItem(x.Street, x.Community, "needs_by_state", x.To))
	case *event.ResourceData:
		state := "available"
		if d.name == event.ResourceWithdrawn {
			state = "withdrawn"
		}
		return c.set(ref{"resource", x.ResourceID}, day, listItem(x.Street, x.Community, "resources_by_state", state))
	case *event.ProjectData:
		state := map[event.Name]string{event.ProjectCreated: "proposed", event.ProjectClaimed: "claimed",
			event.ProjectCompleted: "completed", event.ProjectCancelled: "cancelled"}[d.name]
		return c.set(ref{"project", x.ProjectID}, day, listItem(x.Street, x.Community, "projects_by_state", state))
	case *event.TaskData:
		t := listItem(x.Street, x.Community, "tasks_by_state", x.Status)
		// What tasks_overdue is counted from, as of any date.
		t.Attrs = map[string]string{"status": x.Status, "deadline": x.Deadline.UTC().Format(time.RFC3339),
			"created_at": at.UTC().Format(time.RFC3339)}
		if prev, err := c.get(ref{"task", x.TaskID}); err != nil {
			return err
		} else if prev != nil {
			t.Attrs["created_at"] = cmp.Or(prev.Attrs["created_at"], t.Attrs["created_at"])
			t.Attrs["done_at"] = prev.Attrs["done_at"]
		}
		if x.Status == "done" && t.Attrs["done_at"] == "" {
			t.Attrs["done_at"] = at.UTC().Format(time.RFC3339)
		}
		return c.set(ref{"task", x.TaskID}, day, t)

	case *event.PointsData:
		when := dayOf(cmpTime(x.At, at))
		switch x.Kind {
		case "earn", "reverse":
			c.add("points_earned", "", x.Street, x.Community, when, x.Points)
		case "redeem":
			c.add("points_spent", "", x.Street, x.Community, when, -x.Points)
			c.add("redemptions", "", x.Street, x.Community, when, 1)
			if x.Item != "" { // events before the item was named have none
				c.add("redemptions_by_item", x.Item, x.Street, x.Community, when, int64(max(1, x.Quantity)))
			}
		case "refund":
			c.add("points_spent", "", x.Street, x.Community, when, -x.Points)
			c.add("redemptions", "", x.Street, x.Community, when, -1)
			if x.Item != "" {
				c.add("redemptions_by_item", x.Item, x.Street, x.Community, when, -int64(max(1, x.Quantity)))
			}
		case "adjust":
			c.add("points_adjusted", "", x.Street, x.Community, when, x.Points)
		}
		return nil
	case *event.StarChangedData:
		s := &entity{Street: x.Street, Community: x.Community}
		if x.To > 0 {
			s.Facts = []fact{{"workers_by_star", strconv.Itoa(x.To), 1}}
		}
		return c.set(ref{"star", x.WorkerID}, day, s)

	case *event.DeliveryData:
		metric := "notifications_pushed"
		if d.name == event.NotificationFailed {
			metric = "notifications_failed"
		}
		// A push names its recipient, not their community: it counts in
		// the street of the event.
		c.add(metric, x.Channel, d.env.Street, "", dayOf(cmpTime(x.At, at)), 1)
		return nil
	case *event.InboxStoredData:
		c.add("notifications_stored", x.Category, x.Street, "", dayOf(cmpTime(x.At, at)), int64(x.Count))
		return nil
	case *event.BroadcastSentData:
		when := dayOf(cmpTime(x.FinishedAt, at))
		c.add("broadcasts", "", x.Street, x.Community, when, 1)
		c.add("broadcast_reach", "", x.Street, x.Community, when, int64(x.Reach))
		return nil
	}
	return fmt.Errorf("no projection for %s", d.env.Type)
}

func (c *changes) activity(name event.Name, x *event.ActivityData) error {
	r := ref{"activity", x.ActivityID}
	prev, err := c.get(r)
	if err != nil {
		return err
	}
	held := dayOf(x.StartsAt)
	switch {
	case name == event.ActivityPublished && prev == nil:
		c.add("activities", "", x.Street, x.Community, held, 1)
		c.add("activities_by_kind", x.Kind, x.Street, x.Community, held, 1)
	case name == event.ActivityCancelled && prev != nil && prev.Attrs["cancelled"] == "":
		c.add("activities", "", prev.Street, prev.Community, dayOf(parseTime(prev.Attrs["starts_at"])), -1)
		c.add("activities_by_kind", prev.Attrs["kind"], prev.Street, prev.Community, dayOf(parseTime(prev.Attrs["starts_at"])), -1)
	default:
		return nil
	}
	next := &entity{Street: x.Street, Community: x.Community, Attrs: map[string]string{
		"kind": x.Kind, "starts_at": x.StartsAt.UTC().Format(time.RFC3339)}}
	if name == event.ActivityCancelled {
		next.Attrs["cancelled"] = "true"
	}
	c.entities[r] = next
	c.dirty[r] = true
	return nil
}

// pairingOf records that worker has (on) or no longer has the active
// pairing id: a pairing belongs to its worker's community and moves with
// them (movePairings).
func (c *changes) pairingOf(worker, id string, on bool, day time.Time) error {
	r := ref{"worker_pairings", worker}
	prev, err := c.get(r)
	if err != nil {
		return err
	}
	var ids []string
	if prev != nil {
		ids = strings.Fields(prev.Attrs["ids"])
	}
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == id })
	if on {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return c.set(r, day, nil)
	}
	return c.set(r, day, &entity{Attrs: map[string]string{"ids": strings.Join(ids, " ")}})
}

// movePairings files a worker's active pairings under the street and
// community they moved to, as the registry lists them.
func (c *changes) movePairings(worker, street, community string, day time.Time) error {
	wp, err := c.get(ref{"worker_pairings", worker})
	if err != nil || wp == nil {
		return err
	}
	for _, id := range strings.Fields(wp.Attrs["ids"]) {
		p, err := c.get(ref{"pairing", id})
		if err != nil {
			return err
		}
		if p == nil || p.Attrs["ended"] != "" {
			continue
		}
		if err := c.set(ref{"pairing", id}, day, &entity{Street: street, Community: community, Facts: p.Facts, Attrs: p.Attrs}); err != nil {
			return err
		}
	}
	return nil
}

// attendanceTime is when an attendance counts: its check-out.
func attendanceTime(x *event.AttendanceData) time.Time {
	if !x.CheckedOutAt.IsZero() {
		return x.CheckedOutAt
	}
	return x.CheckedInAt
}

func (c *changes) attendance(x *event.AttendanceData) error {
	// The activity's community: an attendance names only the street.
	community := ""
	if a, err := c.get(ref{"activity", x.ActivityID}); err != nil {
		return err
	} else if a != nil && a.Street == x.Street {
		community = a.Community
	}
	day := dayOf(attendanceTime(x))
	if x.Corrects {
		c.add("service_hours", "", x.Street, community, day, hundredths(x.Hours)-hundredths(x.PreviousHours))
		return nil
	}
	c.add("attendances", "", x.Street, community, day, 1)
	c.add("service_hours", "", x.Street, community, day, hundredths(x.Hours))
	return c.distinct("volunteers", x.WorkerID, x.Street, community, day)
}

func (c *changes) reportSubmitted(x *event.ReportSubmittedData, day time.Time) error {
	if prev, err := c.get(ref{"report", x.ReportID}); err != nil || prev != nil {
		return err
	}
	c.add("reports_submitted", "", x.Street, x.Community, day, 1)
	c.add("reports_submitted_by_category", x.Category, x.Street, x.Community, day, 1)
	if x.Category == "suggestion" {
		c.add("suggestions", "", x.Street, x.Community, day, 1)
	}
	r := listItem(x.Street, x.Community, "reports_by_state", "submitted")
	r.Attrs = map[string]string{"due_at": x.DueAt.UTC().Format(time.RFC3339), "category": x.Category}
	return c.set(ref{"report", x.ReportID}, day, r)
}

func (c *changes) reportChanged(x *event.ReportStatusChangedData, at time.Time) error {
	prev, err := c.get(ref{"report", x.ReportID})
	if err != nil {
		return err
	}
	day := dayOf(at)
	r := listItem(x.Street, x.Community, "reports_by_state", x.To)
	r.Attrs = map[string]string{"category": x.Category}
	if prev != nil {
		r.Attrs = cloneAttrs(prev.Attrs)
	}
	if x.To == "closed" && (prev == nil || prev.Attrs["closed"] == "") {
		c.add("reports_closed", "", x.Street, x.Community, day, 1)
		if due := parseTime(r.Attrs["due_at"]); !due.IsZero() && !at.After(due) {
			c.add("reports_closed_on_time", "", x.Street, x.Community, day, 1)
		}
		r.Attrs["closed"] = "true"
	}
	return c.set(ref{"report", x.ReportID}, day, r)
}

func enterpriseState(x *event.EnterpriseData) *entity {
	facts := []fact{{"enterprises", "", 1}, {"enterprises_by_kind", x.Kind, 1}}
	if x.HasPartyOrg {
		facts = append(facts, fact{"enterprises_with_party_org", "", 1})
	}
	return &entity{Street: x.Street, Community: x.Community, Facts: facts}
}

// partyMember and candidate are the political statuses the report counts
// as party members (with probationary ones) and as the party's candidates.
var (
	partyMember = []string{"party_member", "probationary_member"}
	candidate   = []string{"applicant", "activist", "development_target"}
)

// workerState is a worker in a place with attrs, and the figures they
// count in: none unless active (once they have left, or a clerk rejected
// their self-registration).
func workerState(street, community string, attrs map[string]string) *entity {
	w := &entity{Street: street, Community: community, Attrs: attrs}
	if attrs["status"] != "active" {
		return w
	}
	status := attrs["political_status"]
	w.Facts = []fact{{"workers", "", 1}, {"workers_by_occupation", attrs["occupation"], 1},
		{"workers_by_political_status", status, 1}}
	if p := attrs["platform"]; p != "" {
		w.Facts = append(w.Facts, fact{"workers_by_platform", p, 1})
	}
	if slices.Contains(partyMember, status) {
		w.Facts = append(w.Facts, fact{"party_members", "", 1})
		if attrs["mobile_party_member"] == "true" {
			w.Facts = append(w.Facts, fact{"mobile_party_members", "", 1})
		}
	}
	if slices.Contains(candidate, status) {
		w.Facts = append(w.Facts, fact{"candidates_by_stage", status, 1})
	}
	return w
}

func listItem(street, community, metric, state string) *entity {
	return &entity{Street: street, Community: community, Facts: []fact{{metric, state, 1}}}
}

func cloneAttrs(a map[string]string) map[string]string {
	out := make(map[string]string, len(a)+1)
	for k, v := range a {
		out[k] = v
	}
	return out
}

func uniq(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func hundredths(h float64) int64 { return int64(math.Round(h * 100)) }

// cmpTime is t, or def when t is zero.
func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// dateOr parses a YYYY-MM-DD Beijing date, or gives def.
func dateOr(s string, def time.Time) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return def
	}
	return d
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
