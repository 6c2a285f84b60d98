package stats_test

import (
	"iter"
	"math/rand/v2"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/services/stats"
)

// benchEvent is one event of a benchmark's district, with the stream
// (producing service) it is published on and archived under.
type benchEvent struct {
	stream string
	env    event.Envelope
}

// benchAreas are the benchmarks' district: 3 streets, 10 communities.
var benchAreas = [][2]string{
	{"qishan", "jianshelu"}, {"qishan", "tashan"}, {"qishan", "huayuan"}, {"qishan", "nanshan"},
	{"zhifu", "dongshan"}, {"zhifu", "xishan"}, {"zhifu", "beishan"},
	{"huanshan", "shuyuan"}, {"huanshan", "hongqi"}, {"huanshan", "binhai"},
}

// benchMonths are the twelve months a benchmark district's events fall in.
var (
	benchFrom = time.Date(2025, 12, 1, 0, 0, 0, 0, stats.Shanghai)
	benchTo   = time.Date(2026, 12, 1, 0, 0, 0, 0, stats.Shanghai)
)

// eventsPerWorker is about how many events district makes per worker.
const eventsPerWorker = 9

// district yields exactly n events of a district of about n/9 workers
// over the twelve benchMonths, each stream's in the order its producer
// would publish them (an activity before its sign-ups and attendance), with
// their times spread over the year: registrations and check-ins, party
// steps, transfers (a copy per street) and departures, pairings and their
// contacts, activities with sign-ups, withdrawals, attendance and
// corrections, points earned, redeemed, refunded and adjusted, stars,
// pushes, reports with their status changes, needs, resources, projects
// and tasks. It builds events as it goes: memory stays flat whatever n.
func district(seed uint64, n int) iter.Seq[benchEvent] {
	return func(yield func(benchEvent) bool) {
		r := rand.New(rand.NewPCG(seed, seed^0x5eed))
		pick := func(list ...string) string { return list[r.IntN(len(list))] }
		workers := max(10, n/eventsPerWorker)
		span := benchTo.Sub(benchFrom) - time.Hour
		sent := 0
		ok := true
		put := func(name event.Name, street, subject string, at time.Time, data any) {
			if !ok {
				return
			}
			if sent >= n {
				ok = false
				return
			}
			e, err := event.New(name, street, subject, data)
			if err != nil {
				panic(err)
			}
			e.Time = at.UTC().Truncate(time.Microsecond)
			sent++
			ok = yield(benchEvent{name.Service, e})
		}
		latest := map[string]*event.ActivityData{} // per street: the activity workers sign up for
		previous := map[string]*event.ActivityData{}

		for i := 0; ok; i++ {
			at := benchFrom.Add(min(span, time.Duration(float64(span)*float64(i)/float64(workers))))
			later := func(within time.Duration) time.Time {
				if t := at.Add(time.Duration(r.Int64N(int64(within)))); t.Before(benchTo) {
					return t
				}
				return benchTo.Add(-time.Minute)
			}
			pl := benchAreas[r.IntN(len(benchAreas))]

			if i%50 == 0 { // enterprises and stations
				d := event.EnterpriseData{EnterpriseID: id(), Kind: pick("express_outlet", "delivery_station", "ride_hailing"),
					Street: pl[0], Community: pl[1], HasPartyOrg: r.IntN(3) == 0}
				put(event.EnterpriseRegistered, d.Street, d.EnterpriseID, at, d)
				if r.IntN(4) == 0 {
					d.Kind = "logistics"
					put(event.EnterpriseUpdated, d.Street, d.EnterpriseID, later(48*time.Hour), d)
				}
				st := event.StationData{StationID: id(), Kind: pick("warm_station", "rider_station"), Street: pl[0], Community: pl[1],
					Lat: 37.5, Lng: 121.4, Facilities: []string{"water", "charging", "toilet"}[:1+r.IntN(3)]}
				put(event.StationOpened, st.Street, st.StationID, at, st)
			}
			if i%40 == 0 { // an activity in a street, which the next workers there attend
				a := benchAreas[r.IntN(len(benchAreas))]
				starts := later(72 * time.Hour)
				d := &event.ActivityData{ActivityID: id(), Kind: pick("study", "festival_visit", "safety_training"), Street: a[0],
					Community: a[1], StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), VolunteerService: true}
				put(event.ActivityPublished, d.Street, d.ActivityID, at, *d)
				if r.IntN(8) == 0 {
					put(event.ActivityCancelled, d.Street, d.ActivityID, later(24*time.Hour), *d)
				} else {
					previous[d.Street], latest[d.Street] = latest[d.Street], d
				}
			}

			// A worker.
			w := event.WorkerData{WorkerID: id(), Street: pl[0], Community: pl[1],
				Occupation: pick("food_delivery", "courier", "ride_hailing_driver"), Platform: pick("meituan", "eleme", ""),
				PoliticalStatus: pick("masses", "masses", "masses", "party_member", "applicant", "activist"), Status: "active"}
			w.MobilePartyMember = w.PoliticalStatus == "party_member" && r.IntN(2) == 0
			put(event.WorkerRegistered, w.Street, w.WorkerID, at, w)
			street, community := w.Street, w.Community
			for range 2 {
				put(event.WorkerCheckedIn, street, w.WorkerID, at, event.CheckInData{WorkerID: w.WorkerID, Street: street,
					Community: community, Channel: pick("online", "station"), CheckedInAt: later(20 * 24 * time.Hour)})
			}
			switch r.IntN(10) {
			case 0: // a party step
				if w.PoliticalStatus == "applicant" {
					put(event.WorkerStatusChanged, street, w.WorkerID, later(10*24*time.Hour), event.WorkerStatusChangedData{
						WorkerID: w.WorkerID, Street: street, Community: community, From: "applicant", To: "activist"})
				}
			case 1: // moves to another street: one copy per street
				to := benchAreas[r.IntN(len(benchAreas))]
				if to[0] != street {
					t := event.WorkerTransferredData{WorkerID: w.WorkerID, FromStreet: street, FromCommunity: community,
						ToStreet: to[0], ToCommunity: to[1], PoliticalStatus: w.PoliticalStatus}
					when := later(10 * 24 * time.Hour)
					put(event.WorkerTransferred, street, w.WorkerID, when, t)
					put(event.WorkerTransferred, to[0], w.WorkerID, when, t)
					street, community = to[0], to[1]
				}
			case 2: // leaves
				w.Status = "left"
				put(event.WorkerLeft, street, w.WorkerID, later(20*24*time.Hour), w)
				continue
			case 3: // changes job
				w.Occupation = "courier"
				put(event.WorkerUpdated, street, w.WorkerID, later(20*24*time.Hour), w)
			}

			if r.IntN(4) == 0 { // paired with a member of staff
				pr := event.PairingData{PairingID: id(), WorkerID: w.WorkerID, StaffSubject: "staff-1", Street: street, Community: community,
					CreatedAt: at}
				put(event.PairingCreated, street, pr.PairingID, at, pr)
				month := at.In(stats.Shanghai).Format("2006-01")
				if r.IntN(3) == 0 {
					put(event.PairingOverdue, street, pr.PairingID, later(30*24*time.Hour), event.PairingOverdueData{PairingID: pr.PairingID,
						WorkerID: w.WorkerID, Street: street, Community: community, Month: month})
				} else {
					when := later(20 * 24 * time.Hour)
					put(event.PairingContacted, street, pr.PairingID, when, event.PairingContactedData{PairingID: pr.PairingID, ContactID: id(),
						WorkerID: w.WorkerID, Street: street, Community: community, Method: "visit", ContactedAt: when, Month: month})
				}
				if r.IntN(5) == 0 {
					ended := later(60 * 24 * time.Hour)
					pr.EndedAt = &ended
					put(event.PairingEnded, street, pr.PairingID, ended, pr)
				}
			}

			// Activities in the worker's street: signed up for, attended,
			// and the points and pushes that follow.
			for k, a := range []*event.ActivityData{latest[street], previous[street]} {
				if a == nil || r.IntN(4) == 0 || (k == 1 && r.IntN(2) == 0) {
					continue
				}
				signup := event.SignupData{ActivityID: a.ActivityID, WorkerID: w.WorkerID, Street: a.Street, Community: community,
					StartsAt: a.StartsAt}
				put(event.SignupCreated, a.Street, a.ActivityID, at, signup)
				if r.IntN(6) == 0 {
					put(event.SignupWithdrawn, a.Street, a.ActivityID, at, signup)
					continue
				}
				hours := float64(1+r.IntN(4)) / 2
				out := a.StartsAt.Add(time.Duration(hours * float64(time.Hour)))
				att := event.AttendanceData{ActivityID: a.ActivityID, WorkerID: w.WorkerID, Street: a.Street, Kind: a.Kind, Hours: hours,
					VolunteerService: true, CheckedInAt: a.StartsAt, CheckedOutAt: out}
				put(event.AttendanceRecorded, a.Street, a.ActivityID, out, att)
				if r.IntN(8) == 0 {
					fix := att
					fix.Corrects, fix.PreviousHours, fix.Hours = true, hours, hours+0.5
					put(event.AttendanceRecorded, a.Street, a.ActivityID, out.Add(time.Hour), fix)
				}
				put(event.PointsEarned, street, w.WorkerID, out, event.PointsData{EntryID: id(), WorkerID: w.WorkerID, Street: street,
					Community: community, Kind: "earn", Points: int64(hours * 10), Hours: hours, At: out})
				if r.IntN(2) == 0 {
					put(event.NotificationDelivered, street, w.WorkerID, out, event.DeliveryData{NotificationID: id(),
						Recipient: "worker:" + w.WorkerID, Channel: pick("sms", "wechat"), Category: "points", Attempts: 1, At: out})
				}
				if r.IntN(5) == 0 {
					put(event.StarChanged, street, w.WorkerID, out, event.StarChangedData{WorkerID: w.WorkerID, Street: street,
						Community: community, From: 0, To: 1, Hours: hours})
				}
				if r.IntN(4) == 0 {
					red := event.PointsData{EntryID: id(), WorkerID: w.WorkerID, Street: street, Community: community, Kind: "redeem",
						Points: -5, RedemptionID: id(), At: out.Add(time.Hour)}
					put(event.PointsRedeemed, street, w.WorkerID, red.At, red)
					if r.IntN(4) == 0 {
						red.Kind, red.Points, red.EntryID = "refund", 5, id()
						put(event.PointsRefunded, street, w.WorkerID, red.At, red)
					}
				}
			}
			if r.IntN(30) == 0 {
				put(event.PointsAdjusted, street, w.WorkerID, at, event.PointsData{EntryID: id(), WorkerID: w.WorkerID, Street: street,
					Community: community, Kind: "adjust", Points: 3, At: at})
			}

			if i%10 == 0 { // a rider's report, handled step by step
				rep := event.ReportSubmittedData{ReportID: id(), Street: pl[0], Community: pl[1],
					Category: pick("safety_hazard", "suggestion", "traffic"), Lat: 37.5, Lng: 121.4, WorkerID: w.WorkerID,
					DueAt: at.Add(time.Duration(24+r.IntN(48)) * time.Hour)}
				put(event.ReportSubmitted, rep.Street, rep.ReportID, at, rep)
				from, when := "submitted", at
				for _, to := range []string{"accepted", "dispatched", "resolved", "closed"}[:r.IntN(5)] {
					when = when.Add(time.Duration(1+r.IntN(20)) * time.Hour)
					put(event.ReportStatusChanged, rep.Street, rep.ReportID, when, event.ReportStatusChangedData{ReportID: rep.ReportID,
						Street: rep.Street, Community: rep.Community, Category: rep.Category, From: from, To: to, WorkerID: rep.WorkerID})
					from = to
				}
			}
			if i%20 == 0 { // the four lists: a need, a resource, perhaps a project with a task
				need := event.NeedData{NeedID: id(), Street: pl[0], Community: pl[1], Category: "meals", Source: "staff"}
				put(event.NeedCreated, need.Street, need.NeedID, at, need)
				res := event.ResourceData{ResourceID: id(), Street: pl[0], Unit: "某单位", Category: "meals"}
				put(event.ResourceCreated, res.Street, res.ResourceID, at, res)
				if r.IntN(2) == 0 {
					pr := event.ProjectData{ProjectID: id(), Street: pl[0], Community: pl[1], MeetingOn: at.Format(time.DateOnly),
						NeedIDs: []string{need.NeedID}, ResourceIDs: []string{res.ResourceID}}
					put(event.ProjectCreated, pr.Street, pr.ProjectID, at, pr)
					put(event.NeedStatusChanged, need.Street, need.NeedID, at, event.NeedStatusChangedData{NeedID: need.NeedID,
						Street: need.Street, Community: need.Community, From: "open", To: "in_project", ProjectID: pr.ProjectID})
					pr.ClaimedBy = "某单位"
					put(event.ProjectClaimed, pr.Street, pr.ProjectID, later(48*time.Hour), pr)
					task := event.TaskData{TaskID: id(), ProjectID: pr.ProjectID, Street: pr.Street, Community: pr.Community, Unit: "某单位",
						Deadline: at.Add(time.Duration(24+r.IntN(240)) * time.Hour), Status: "open"}
					put(event.TaskCreated, task.Street, task.TaskID, at, task)
					if r.IntN(2) == 0 {
						task.From, task.Status = "open", "done"
						put(event.TaskStatusChanged, task.Street, task.TaskID, later(10*24*time.Hour), task)
					}
				} else if r.IntN(2) == 0 {
					put(event.ResourceWithdrawn, res.Street, res.ResourceID, later(48*time.Hour), res)
				}
			}
			if i%200 == 0 {
				put(event.NotificationFailed, street, "staff", at, event.DeliveryData{NotificationID: id(), Recipient: "staff:s1",
					Channel: "webhook", Category: "report", Attempts: 5, Error: "timeout", At: at})
			}
		}
	}
}
