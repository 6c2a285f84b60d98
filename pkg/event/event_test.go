package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
)

func TestSubjects_names(t *testing.T) {
	prod := event.Subjects{}
	test := event.Subjects{Namespace: "tab12cd34"}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"For default", prod.For(event.WorkerCheckedIn, "jiangbei"), "nuanxin.registry.jiangbei.worker.checked_in"},
		{"For explicit nuanxin", event.Subjects{Namespace: "nuanxin"}.For(event.WorkerCheckedIn, "jiangbei"), "nuanxin.registry.jiangbei.worker.checked_in"},
		{"For district-wide event", prod.For(event.StreetCreated, ""), "nuanxin.registry._district.street.created"},
		{"For test namespace", test.For(event.WorkerRegistered, "s01"), "tab12cd34.registry.s01.worker.registered"},
		{"Filter default", prod.Filter(event.WorkerCheckedIn), "nuanxin.registry.*.worker.checked_in"},
		{"Filter test namespace", test.Filter(event.WorkerLeft), "tab12cd34.registry.*.worker.left"},
		{"Service default", prod.Service("registry"), "nuanxin.registry.>"},
		{"Service test namespace", test.Service("points"), "tab12cd34.points.>"},
		{"Stream default", prod.Stream("registry"), "REGISTRY"},
		{"Stream explicit nuanxin", event.Subjects{Namespace: "nuanxin"}.Stream("activity"), "ACTIVITY"},
		{"Stream test namespace", test.Stream("registry"), "TAB12CD34_REGISTRY"},
		{"DeadLetter default", prod.DeadLetter("points-checkins"), "nuanxin.deadletter.points-checkins"},
		{"DeadLetter test namespace", test.DeadLetter("c1"), "tab12cd34.deadletter.c1"},
		{"DeadLetterStream default", prod.DeadLetterStream(), "DEADLETTER"},
		{"DeadLetterStream test namespace", test.DeadLetterStream(), "TAB12CD34_DEADLETTER"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// Every subject an event is published on must be caught by its service's
// stream, by its filter, and must not be caught by the dead-letter stream.
func TestSubjects_streamsCatchTheirSubjects(t *testing.T) {
	for _, s := range []event.Subjects{{}, {Namespace: "tx1"}} {
		subj := s.For(event.WorkerCheckedIn, "s01")
		cfg := s.StreamConfig("registry", 0)
		if len(cfg.Subjects) != 1 || !matches(cfg.Subjects[0], subj) {
			t.Errorf("stream %s subjects %v do not catch %s", cfg.Name, cfg.Subjects, subj)
		}
		if !matches(s.Filter(event.WorkerCheckedIn), subj) {
			t.Errorf("filter %s does not catch %s", s.Filter(event.WorkerCheckedIn), subj)
		}
		if matches(s.Filter(event.WorkerRegistered), subj) {
			t.Errorf("filter %s catches %s", s.Filter(event.WorkerRegistered), subj)
		}
		if matches(s.Service("registry"), s.DeadLetter("c1")) {
			t.Errorf("registry stream would also store dead letters %s", s.DeadLetter("c1"))
		}
		if cfg.Replicas != 1 || cfg.Duplicates != event.DuplicateWindow {
			t.Errorf("stream config replicas %d duplicates %s, want 1 and %s", cfg.Replicas, cfg.Duplicates, event.DuplicateWindow)
		}
	}
}

// matches reports whether the NATS wildcard pattern matches subject.
func matches(pattern, subject string) bool {
	p, s := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, tok := range p {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(p) == len(s)
}

func TestNewParse_roundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	data := event.CheckInData{WorkerID: "w-1", Street: "s01", Community: "c01", Channel: "station", StationID: "st-9", CheckedInAt: at}
	before := time.Now().UTC().Add(-time.Second)
	e, err := event.New(event.WorkerCheckedIn, "s01", "w-1", data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	// The wire form uses the CloudEvents attribute names.
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"specversion":     "1.0",
		"source":          "/nuanxin/registry",
		"type":            "nuanxin.registry.worker.checked_in",
		"subject":         "w-1",
		"datacontenttype": "application/json",
		"dataversion":     "1",
		"street":          "s01",
	} {
		if wire[k] != want {
			t.Errorf("attribute %s = %v, want %q", k, wire[k], want)
		}
	}

	got, err := event.Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	id, err := uuid.Parse(got.ID)
	if err != nil || id.Version() != 7 {
		t.Errorf("id %q is not a UUIDv7 (err %v)", got.ID, err)
	}
	if got.Time.Location() != time.UTC || got.Time.Before(before) || got.Time.After(time.Now().Add(time.Second)) {
		t.Errorf("time %v is not the current UTC time", got.Time)
	}
	name, err := got.Name()
	if err != nil || name != event.WorkerCheckedIn {
		t.Errorf("Name() = %v, %v; want %v", name, err, event.WorkerCheckedIn)
	}
	var back event.CheckInData
	if err := got.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back != data {
		t.Errorf("data round trip: got %+v, want %+v", back, data)
	}
	if !got.Time.Equal(e.Time) || got.ID != e.ID || got.Street != e.Street {
		t.Errorf("envelope round trip: got %+v, want %+v", got, e)
	}
}

func TestNew_idsSortByCreation(t *testing.T) {
	var prev string
	for i := range 100 {
		e, err := event.New(event.WorkerUpdated, "s01", "w", event.WorkerData{})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID <= prev {
			t.Fatalf("event %d id %s does not sort after %s", i, e.ID, prev)
		}
		prev = e.ID
	}
}

func TestNew_rejectsUnmarshalableData(t *testing.T) {
	if _, err := event.New(event.WorkerUpdated, "s01", "w", map[string]any{"f": func() {}}); err == nil {
		t.Error("New accepted data that cannot be JSON")
	}
}

func TestParse_rejects(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"specversion": "1.0", "id": "0190b7a0-0000-7000-8000-000000000001", "source": "/nuanxin/registry",
			"type": "nuanxin.registry.worker.checked_in", "time": "2026-03-01T09:30:00Z",
			"datacontenttype": "application/json", "dataversion": "1", "street": "s01", "data": map[string]any{},
		}
	}
	tests := []struct {
		name   string
		modify func(m map[string]any)
		raw    string
		want   string
	}{
		{name: "missing id", modify: func(m map[string]any) { delete(m, "id") }, want: "required"},
		{name: "empty id", modify: func(m map[string]any) { m["id"] = "" }, want: "required"},
		{name: "missing type", modify: func(m map[string]any) { delete(m, "type") }, want: "required"},
		{name: "missing source", modify: func(m map[string]any) { delete(m, "source") }, want: "required"},
		{name: "specversion 0.3", modify: func(m map[string]any) { m["specversion"] = "0.3" }, want: "specversion"},
		{name: "no specversion", modify: func(m map[string]any) { delete(m, "specversion") }, want: "specversion"},
		{name: "not JSON", raw: "hello", want: "parse event"},
		{name: "JSON array", raw: "[1,2]", want: "parse event"},
	}
	// The unmodified envelope parses, so each failure is due to its change.
	b, _ := json.Marshal(valid())
	if _, err := event.Parse(b); err != nil {
		t.Fatalf("valid envelope rejected: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.raw)
			if tc.modify != nil {
				m := valid()
				tc.modify(m)
				b, _ = json.Marshal(m)
			}
			_, err := event.Parse(b)
			if err == nil {
				t.Fatalf("Parse accepted %s", b)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestEnvelopeName_rejectsForeignType(t *testing.T) {
	for _, typ := range []string{"com.example.thing", "nuanxin.registry.worker", "a.b.c.d.e"} {
		if _, err := (event.Envelope{Type: typ}).Name(); err == nil {
			t.Errorf("Name() of type %q succeeded", typ)
		}
	}
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"s01", true},
		{"jiangbei", true},
		{"street_01", true},
		{"street-01", true},
		{"0", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"Jiangbei", false},
		{"_district", false}, // reserved for district-wide events
		{"-s", false},
		{"a.b", false},
		{"a*", false},
		{">", false},
		{"a b", false},
		{"江北", false},
	}
	for _, tc := range tests {
		if got := event.ValidToken(tc.s); got != tc.want {
			t.Errorf("ValidToken(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
