package stats_test

import (
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// published is an event as its producer publishes it.
type published struct {
	name            event.Name
	street, subject string
	data            any
}

// world is a district's worth of events, per producing service in the
// order each publishes them: every kind of event stats counts, with
// updates, transfers, corrections and cancellations among them.
type world struct {
	streams map[string][]published
}

func (w *world) add(name event.Name, street, subject string, data any) {
	w.streams[name.Service] = append(w.streams[name.Service], published{name, street, subject, data})
}

func (w *world) count() int {
	n := 0
	for _, s := range w.streams {
		n += len(s)
	}
	return n
}

var areas = [][2]string{{"qishan", "jianshelu"}, {"qishan", "tashan"}, {"zhifu", "dongshan"}}

func id() string { return uuid.Must(uuid.NewV7()).String() }

// newWorld makes a world of about 30 events per worker, the same for the
// same seed.
func newWorld(seed uint64, workers int) *world {
	r := rand.New(rand.NewPCG(seed, seed))
	w := &world{streams: map[string][]published{}}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	base := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(r.IntN(60*24)) * time.Minute) }

	for i := 0; i < max(2, workers/10); i++ {
		pl := areas[r.IntN(len(areas))]
		d := event.EnterpriseData{EnterpriseID: id(), Kind: pick([]string{"express_outlet", "delivery_station", "ride_hailing"}),
			Street: pl[0], Community: pl[1], HasPartyOrg: r.IntN(3) == 0}
		w.add(event.EnterpriseRegistered, d.Street, d.EnterpriseID, d)
		if r.IntN(4) == 0 {
			d.Kind = "logistics"
			w.add(event.EnterpriseUpdated, d.Street, d.EnterpriseID, d)
		}
		st := event.StationData{StationID: id(), Kind: pick([]string{"warm_station", "rider_station"}), Street: pl[0], Community: pl[1],
			Lat: 37.5, Lng: 121.4, Facilities: []string{"water", "charging", "water"}[:1+r.IntN(3)]}
		w.add(event.StationOpened, st.Street, st.StationID, st)
	}

	type person struct{ id, street, community string }
	var people []person
	for i := 0; i < workers; i++ {
		pl := areas[r.IntN(len(areas))]
		d := event.WorkerData{WorkerID: id(), Street: pl[0], Community: pl[1],
			Occupation: pick([]string{"food_delivery", "courier", "ride_hailing_driver"}), Platform: pick([]string{"meituan", "eleme", ""}),
			PoliticalStatus: pick([]string{"masses", "masses", "party_member", "applicant", "activist"}), Status: "active"}
		d.MobilePartyMember = d.PoliticalStatus == "party_member" && r.IntN(2) == 0
		w.add(event.WorkerRegistered, d.Street, d.WorkerID, d)
		p := person{d.WorkerID, d.Street, d.Community}
		channel := pick([]string{"online", "station"})
		w.add(event.WorkerCheckedIn, d.Street, d.WorkerID, event.CheckInData{WorkerID: d.WorkerID, Street: d.Street, Community: d.Community,
			Channel: channel, CheckedInAt: at()})
		switch r.IntN(8) {
		case 0: // a party step
			if d.PoliticalStatus == "applicant" {
				w.add(event.WorkerStatusChanged, d.Street, d.WorkerID, event.WorkerStatusChangedData{WorkerID: d.WorkerID, Street: d.Street,
					Community: d.Community, From: "applicant", To: "activist", EffectiveOn: "2026-10-20"})
			}
		case 1: // moves to another street: one copy per street
			to := areas[r.IntN(len(areas))]
			if to[0] != d.Street {
				t := event.WorkerTransferredData{WorkerID: d.WorkerID, FromStreet: d.Street, FromCommunity: d.Community,
					ToStreet: to[0], ToCommunity: to[1], PoliticalStatus: d.PoliticalStatus, EffectiveOn: "2026-10-25"}
				w.add(event.WorkerTransferred, d.Street, d.WorkerID, t)
				w.add(event.WorkerTransferred, to[0], d.WorkerID, t)
				p.street, p.community = to[0], to[1]
			}
		case 2: // leaves
			d.Status = "left"
			w.add(event.WorkerLeft, d.Street, d.WorkerID, d)
			continue
		case 3: // changes job
			d.Occupation = "courier"
			w.add(event.WorkerUpdated, d.Street, d.WorkerID, d)
		}
		people = append(people, p)

		if r.IntN(2) == 0 {
			pr := event.PairingData{PairingID: id(), WorkerID: p.id, StaffSubject: "staff-1", Street: p.street, Community: p.community,
				CreatedAt: base}
			w.add(event.PairingCreated, p.street, pr.PairingID, pr)
			if r.IntN(3) == 0 {
				w.add(event.PairingOverdue, p.street, pr.PairingID, event.PairingOverdueData{PairingID: pr.PairingID, WorkerID: p.id,
					Street: p.street, Community: p.community, Month: "2026-10"})
			} else {
				w.add(event.PairingContacted, p.street, pr.PairingID, event.PairingContactedData{PairingID: pr.PairingID, ContactID: id(),
					WorkerID: p.id, Street: p.street, Community: p.community, Method: "visit", ContactedAt: at(), Month: "2026-10"})
			}
			if r.IntN(5) == 0 {
				ended := base.AddDate(0, 1, 2)
				pr.EndedAt = &ended
				w.add(event.PairingEnded, p.street, pr.PairingID, pr)
			}
		}
	}

	// Activities, sign-ups and attendance, with points for the hours.
	for i := 0; i < max(1, workers/8); i++ {
		pl := areas[r.IntN(len(areas))]
		starts := at()
		a := event.ActivityData{ActivityID: id(), Kind: pick([]string{"study", "festival_visit", "safety_training"}), Street: pl[0],
			Community: pl[1], StartsAt: starts, EndsAt: starts.Add(2 * time.Hour), VolunteerService: true}
		w.add(event.ActivityPublished, a.Street, a.ActivityID, a)
		if r.IntN(6) == 0 {
			w.add(event.ActivityCancelled, a.Street, a.ActivityID, a)
			continue
		}
		for _, p := range people {
			if p.street != a.Street || r.IntN(3) != 0 {
				continue
			}
			w.add(event.SignupCreated, a.Street, a.ActivityID, event.SignupData{ActivityID: a.ActivityID, WorkerID: p.id, Street: a.Street,
				Community: p.community, StartsAt: starts})
			if r.IntN(5) == 0 {
				w.add(event.SignupWithdrawn, a.Street, a.ActivityID, event.SignupData{ActivityID: a.ActivityID, WorkerID: p.id, Street: a.Street,
					Community: p.community, StartsAt: starts})
				continue
			}
			hours := float64(1+r.IntN(4)) / 2
			att := event.AttendanceData{ActivityID: a.ActivityID, WorkerID: p.id, Street: a.Street, Kind: a.Kind, Hours: hours,
				VolunteerService: true, CheckedInAt: starts, CheckedOutAt: starts.Add(time.Duration(hours * float64(time.Hour)))}
			w.add(event.AttendanceRecorded, a.Street, a.ActivityID, att)
			if r.IntN(6) == 0 {
				fix := att
				fix.Corrects, fix.PreviousHours, fix.Hours = true, hours, hours+0.5
				w.add(event.AttendanceRecorded, a.Street, a.ActivityID, fix)
			}
			w.add(event.PointsEarned, p.street, p.id, event.PointsData{EntryID: id(), WorkerID: p.id, Street: p.street, Community: p.community,
				Kind: "earn", Points: int64(hours * 10), Hours: hours, At: att.CheckedOutAt})
			if r.IntN(4) == 0 {
				w.add(event.StarChanged, p.street, p.id, event.StarChangedData{WorkerID: p.id, Street: p.street, Community: p.community,
					From: 0, To: 1, Hours: hours})
			}
			if r.IntN(4) == 0 {
				red := event.PointsData{EntryID: id(), WorkerID: p.id, Street: p.street, Community: p.community, Kind: "redeem",
					Points: -5, RedemptionID: id(), ItemID: "item-1", Item: "雨衣", Quantity: 1, At: att.CheckedOutAt.Add(time.Hour)}
				w.add(event.PointsRedeemed, p.street, p.id, red)
				if r.IntN(3) == 0 {
					red.Kind, red.Points, red.EntryID = "refund", 5, id()
					w.add(event.PointsRefunded, p.street, p.id, red)
				}
			}
			w.add(event.NotificationDelivered, p.street, p.id, event.DeliveryData{NotificationID: id(), Recipient: "worker:" + p.id,
				Channel: pick([]string{"sms", "wechat"}), Category: "points", Attempts: 1, At: att.CheckedOutAt})
		}
	}

	// Riders' reports and the four lists.
	for i := 0; i < max(1, workers/5); i++ {
		pl := areas[r.IntN(len(areas))]
		rep := event.ReportSubmittedData{ReportID: id(), Street: pl[0], Community: pl[1],
			Category: pick([]string{"safety_hazard", "suggestion", "traffic"}), Lat: 37.5, Lng: 121.4, WorkerID: id()}
		rep.DueAt = time.Now().Add(time.Duration(r.IntN(5)-2) * time.Hour) // some already past due when closed
		w.add(event.ReportSubmitted, rep.Street, rep.ReportID, rep)
		from := "submitted"
		for _, to := range []string{"accepted", "dispatched", "resolved", "closed"}[:r.IntN(5)] {
			ch := event.ReportStatusChangedData{ReportID: rep.ReportID, Street: rep.Street, Community: rep.Community, Category: rep.Category,
				From: from, To: to, WorkerID: rep.WorkerID}
			w.add(event.ReportStatusChanged, rep.Street, rep.ReportID, ch)
			from = to
		}
		need := event.NeedData{NeedID: id(), Street: pl[0], Community: pl[1], Category: "meals", Source: "staff"}
		w.add(event.NeedCreated, need.Street, need.NeedID, need)
		res := event.ResourceData{ResourceID: id(), Street: pl[0], Unit: "某单位", Category: "meals"}
		w.add(event.ResourceCreated, res.Street, res.ResourceID, res)
		if r.IntN(2) == 0 {
			pr := event.ProjectData{ProjectID: id(), Street: pl[0], Community: pl[1], MeetingOn: "2026-10-10",
				NeedIDs: []string{need.NeedID}, ResourceIDs: []string{res.ResourceID}}
			w.add(event.ProjectCreated, pr.Street, pr.ProjectID, pr)
			w.add(event.NeedStatusChanged, need.Street, need.NeedID, event.NeedStatusChangedData{NeedID: need.NeedID, Street: need.Street,
				Community: need.Community, From: "open", To: "in_project", ProjectID: pr.ProjectID})
			pr.ClaimedBy = "某单位"
			w.add(event.ProjectClaimed, pr.Street, pr.ProjectID, pr)
			task := event.TaskData{TaskID: id(), ProjectID: pr.ProjectID, Street: pr.Street, Community: pr.Community, Unit: "某单位",
				Deadline: time.Now().Add(time.Duration(r.IntN(48)-24) * time.Hour), Status: "open"}
			w.add(event.TaskCreated, task.Street, task.TaskID, task)
			if r.IntN(2) == 0 {
				task.From, task.Status = "open", "done"
				w.add(event.TaskStatusChanged, task.Street, task.TaskID, task)
			}
		} else if r.IntN(2) == 0 {
			w.add(event.ResourceWithdrawn, res.Street, res.ResourceID, res)
		}
	}
	w.add(event.InboxStored, "qishan", "points", event.InboxStoredData{Street: "qishan", Category: "points", Count: 7, Cause: "event", At: base})
	w.add(event.BroadcastSent, "zhifu", "b1", event.BroadcastSentData{BroadcastID: "b1", Street: "zhifu", Community: "dongshan",
		Category: "notice", Template: "policy", Cause: "broadcast", Audience: 12, Reach: 11, StartedAt: base, FinishedAt: base.Add(time.Minute)})
	w.add(event.NotificationFailed, "qishan", "staff", event.DeliveryData{NotificationID: id(), Recipient: "staff:s1", Channel: "webhook",
		Category: "report", Attempts: 5, Error: "timeout", At: base})
	return w
}

// publish puts the world's events on their streams, one stream after the
// other in the order given (each stream's own order kept).
func (h *harness) publishWorld(w *world, order ...string) {
	h.t.Helper()
	for _, service := range order {
		for _, p := range w.streams[service] {
			h.Publish(p.name, p.street, p.subject, p.data)
		}
	}
}

// interleave puts the world's events on their streams round-robin, a few
// of each stream at a time.
func (h *harness) interleave(w *world) {
	h.t.Helper()
	pos := map[string]int{}
	for more := true; more; {
		more = false
		for _, service := range []string{"notification", "points", "activity", "registry"} {
			list := w.streams[service]
			for n := 0; n < 3 && pos[service] < len(list); n++ {
				p := list[pos[service]]
				h.Publish(p.name, p.street, p.subject, p.data)
				pos[service]++
			}
			more = more || pos[service] < len(list)
		}
	}
}
