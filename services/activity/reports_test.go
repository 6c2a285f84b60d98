package activity_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func tinyPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type upload struct {
	name string
	data []byte
}

// reportBody is a good report changed by extra (testenv.With).
func reportBody(extra map[string]any) map[string]any {
	return testenv.With(map[string]any{"category": "safety_hazard", "description": "井盖缺失", "lat": 37.5400, "lng": 121.3900,
		"address": "奇山路12号"}, extra)
}

// submit posts a report as multipart/form-data with photos.
func (h *harness) submit(token string, report map[string]any, photos ...upload) testenv.Response {
	h.t.Helper()
	raw, _ := json.Marshal(report)
	parts := []testenv.Part{{Name: "report", Data: raw}}
	for _, p := range photos {
		parts = append(parts, testenv.Part{Name: "photo", FileName: p.name, Data: p.data})
	}
	return h.PostForm("/v1/reports", token, parts)
}

func (h *harness) photoFiles() int {
	h.t.Helper()
	entries, err := os.ReadDir(h.photoDir)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(entries)
}

func TestReports_submitWithPhotos(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	r := h.submit(h.Worker(wid), reportBody(nil), upload{"a.png", tinyPNG(t)}, upload{"b.jpg", tinyJPEG(t)})
	if r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if r.Str("status") != "submitted" || r.Str("street") != "qishan" || r.Str("community") != "tashan" || r.Str("worker_id") != wid {
		t.Fatalf("submitted: %s", r.Raw)
	}
	photos := r.Body["photos"].([]any)
	if len(photos) != 2 || photos[0].(map[string]any)["content_type"] != "image/png" || photos[1].(map[string]any)["content_type"] != "image/jpeg" {
		t.Fatalf("photos: %s", r.Raw)
	}
	if n := h.photoFiles(); n != 2 {
		t.Fatalf("%d files in the photo dir", n)
	}
	if n := h.count("SELECT count(*) FROM report_photos"); n != 2 {
		t.Fatalf("%d photo rows", n)
	}
	// Plain JSON without photos also works.
	h.Must(201, "POST", "/v1/reports", h.Worker(wid), reportBody(map[string]any{"category": "suggestion", "community": "changsheng"}))
	ev := h.Events(event.ReportSubmitted)
	if len(ev) != 2 {
		t.Fatalf("%d submitted events", len(ev))
	}
	var d map[string]any
	_ = json.Unmarshal(ev[0].Data, &d)
	if d["report_id"] != r.Str("id") || d["category"] != "safety_hazard" || d["due_at"] == nil || d["description"] != nil {
		t.Fatalf("event data: %s", ev[0].Data)
	}
}

func TestReports_badInputNamesTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	png := upload{"a.png", tinyPNG(t)}
	cases := []struct {
		name   string
		body   map[string]any
		photos []upload
		status int
		field  string
	}{
		{"not an image", nil, []upload{{"x.png", []byte(strings.Repeat("just text ", 20))}}, 422, "photo"},
		{"too big", nil, []upload{{"big.png", append(tinyPNG(t), make([]byte, 5<<20)...)}}, 413, "photo"},
		{"4 photos", nil, []upload{png, png, png, png}, 422, "photo"},
		{"bad lat", map[string]any{"lat": 91.0}, nil, 422, "lat"},
		{"bad lng", map[string]any{"lng": 181.0}, nil, 422, "lng"},
		{"empty description", map[string]any{"description": ""}, nil, 422, "description"},
		{"unknown category", map[string]any{"category": "ufo"}, nil, 422, "category"},
		{"lat as text", map[string]any{"lat": "37.54"}, nil, 400, "lat"},
		{"an unknown member", map[string]any{"nickname": "老王"}, nil, 400, "nickname"},
		{"NUL in the description", map[string]any{"description": "井盖\u0000缺失"}, nil, 422, "description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.submit(h.Worker(wid), reportBody(tc.body), tc.photos...)
			if r.Status != tc.status || r.Field() != tc.field {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.Field(), tc.status, tc.field, r.Raw)
			}
		})
	}
	r := h.submit(h.Worker("0190d5e5-0000-7000-8000-000000000000"), reportBody(nil), png)
	if r.Status != 404 || r.Str("detail") != "worker not found" {
		t.Fatalf("unknown worker: %d %s", r.Status, r.Raw)
	}
	if n := h.count("SELECT count(*) FROM reports"); n != 0 {
		t.Fatalf("%d reports written", n)
	}
	if n := h.count("SELECT count(*) FROM report_photos"); n != 0 {
		t.Fatalf("%d photo rows written", n)
	}
	if n := h.count("SELECT count(*) FROM outbox"); n != 0 {
		t.Fatalf("%d events written", n)
	}
	if n := h.photoFiles(); n != 0 {
		t.Fatalf("%d files left in the photo dir", n)
	}
}

func TestReports_likelyDuplicates(t *testing.T) {
	h := newHarness(t)
	w := h.Worker(h.knownWorker("qishan", "tashan"))
	h.Must(201, "POST", "/v1/reports", w, reportBody(nil))
	// About 30 m north: a likely duplicate, told without its id (another's report).
	near := h.Must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"lat": 37.5400 + 0.00027}))
	dups := near.Body["likely_duplicates"].([]any)
	if len(dups) != 1 {
		t.Fatalf("near: %s", near.Raw)
	}
	d := dups[0].(map[string]any)
	if m, _ := d["distance_m"].(float64); m < 25 || m > 35 || d["status"] != "submitted" || d["id"] != nil {
		t.Fatalf("near: %s", near.Raw)
	}
	// About 200 m away: not one.
	far := h.Must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"lat": 37.5400 + 0.0018}))
	if dups := far.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("far: %s", far.Raw)
	}
	// Another category at the same spot: not one.
	other := h.Must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"category": "traffic"}))
	if dups := other.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("other category: %s", other.Raw)
	}
	// Older than 24 h: not one.
	h.Pool.Exec(h.ctx, "UPDATE reports SET created_at = created_at - interval '25 hours'")
	old := h.Must(201, "POST", "/v1/reports", w, reportBody(nil))
	if dups := old.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("old: %s", old.Raw)
	}
}

func TestReports_lifecycleAndScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)
	id := h.Must(201, "POST", "/v1/reports", w, reportBody(nil)).Str("id")
	path := "/v1/reports/" + id
	staff := h.Staff("qishan", "tashan")

	h.Must(403, "POST", path+"/transitions", w, map[string]any{"to": "accepted"})
	h.Must(404, "POST", path+"/transitions", h.StreetAdmin("zhifu"), map[string]any{"to": "accepted"})
	h.Must(404, "POST", path+"/transitions", h.Staff("qishan", "changsheng"), map[string]any{"to": "accepted"})
	h.Must(404, "GET", path, h.StreetAdmin("zhifu"), nil)
	h.Must(404, "GET", path, h.Worker(h.knownWorker("qishan", "tashan")), nil)
	h.Must(200, "GET", path, w, nil)

	r := h.Conflict("illegal_transition", "POST", path+"/transitions", staff, map[string]any{"to": "resolved"})
	if !strings.Contains(r.Str("detail"), "accepted or rejected") || r.Str("current_status") != "submitted" {
		t.Fatalf("illegal: %s", r.Raw)
	}
	if r := h.Must(422, "POST", path+"/transitions", staff, map[string]any{"to": "rejected"}); r.Field() != "note" {
		t.Fatalf("reject without note: %s", r.Raw)
	}
	h.Must(200, "POST", path+"/transitions", staff, map[string]any{"to": "accepted", "note": "收到"})
	if r := h.Must(422, "POST", path+"/transitions", staff, map[string]any{"to": "dispatched", "person": "王"}); r.Field() != "unit" {
		t.Fatalf("dispatch without unit: %s", r.Raw)
	}
	h.Must(200, "POST", path+"/transitions", h.StreetAdmin("qishan"), map[string]any{"to": "dispatched", "unit": "城管中队", "person": "王师傅"})
	h.Must(200, "POST", path+"/transitions", staff, map[string]any{"to": "resolved", "note": "已补井盖"})
	if r := h.Must(422, "POST", path+"/transitions", staff, map[string]any{"to": "closed"}); r.Field() != "valid" {
		t.Fatalf("close without valid: %s", r.Raw)
	}
	c := h.Must(200, "POST", path+"/transitions", staff, map[string]any{"to": "closed", "valid": true})
	if c.Str("status") != "closed" || c.Body["valid"] != true {
		t.Fatalf("closed: %s", c.Raw)
	}
	h.Conflict("illegal_transition", "POST", path+"/transitions", staff, map[string]any{"to": "accepted"})

	got := h.Must(200, "GET", path, w, nil)
	tr := got.Body["transitions"].([]any)
	if len(tr) != 4 || tr[1].(map[string]any)["unit"] != "城管中队" || tr[0].(map[string]any)["note"] != "收到" {
		t.Fatalf("transitions: %s", got.Raw)
	}
	ev := h.Events(event.ReportStatusChanged)
	if len(ev) != 4 {
		t.Fatalf("%d status_changed events", len(ev))
	}
	var last map[string]any
	_ = json.Unmarshal(ev[3].Data, &last)
	if last["to"] != "closed" || last["from"] != "resolved" || last["valid"] != true || last["worker_id"] != wid {
		t.Fatalf("close event: %s", ev[3].Data)
	}
	var first map[string]any
	_ = json.Unmarshal(ev[0].Data, &first)
	if _, has := first["valid"]; has {
		t.Fatalf("valid outside close: %s", ev[0].Data)
	}

	// Lists: staff their scope, workers their own; overdue for staff.
	if n := len(h.Must(200, "GET", "/v1/reports", staff, nil).Body["items"].([]any)); n != 1 {
		t.Fatalf("staff list %d", n)
	}
	if n := len(h.Must(200, "GET", "/v1/reports", h.StreetAdmin("zhifu"), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("other street list %d", n)
	}
	if n := len(h.Must(200, "GET", "/v1/reports", h.Worker(h.knownWorker("qishan", "tashan")), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("other worker list %d", n)
	}
	open := h.Must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"category": "fire_risk"})).Str("id")
	h.Pool.Exec(h.ctx, "UPDATE reports SET due_at = now() - interval '1 minute' WHERE id = $1", open)
	od := h.Must(200, "GET", "/v1/reports/overdue", staff, nil).Body["items"].([]any)
	if len(od) != 1 || od[0].(map[string]any)["id"] != open {
		t.Fatalf("overdue: %v", od)
	}
	h.Must(403, "GET", "/v1/reports/overdue", w, nil)
	p1 := h.Must(200, "GET", "/v1/reports?limit=1", w, nil)
	if len(p1.Body["items"].([]any)) != 1 || p1.Str("next") == "" {
		t.Fatalf("page 1: %s", p1.Raw)
	}
	p2 := h.Must(200, "GET", "/v1/reports?limit=1&after="+p1.Str("next"), w, nil)
	if len(p2.Body["items"].([]any)) != 1 || p2.Str("next") != "" {
		t.Fatalf("page 2: %s", p2.Raw)
	}
}

// mergeSetup is a community's staff and two of its riders, each with a
// report of the same problem.
type mergeSetup struct {
	staff           string
	w1, w2          string // tokens
	wid2            string
	primary, second string // report ids: w1's and w2's
}

func newMergeSetup(h *harness) mergeSetup {
	h.t.Helper()
	wid1, wid2 := h.knownWorker("qishan", "tashan"), h.knownWorker("qishan", "tashan")
	m := mergeSetup{staff: h.Staff("qishan", "tashan"), w1: h.Worker(wid1), w2: h.Worker(wid2), wid2: wid2}
	m.primary = h.Must(201, "POST", "/v1/reports", m.w1, reportBody(nil)).Str("id")
	m.second = h.Must(201, "POST", "/v1/reports", m.w2, reportBody(map[string]any{"lat": 37.5400 + 0.0002})).Str("id")
	return m
}

func TestReports_mergeIntoPrimary(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	h.Must(200, "POST", "/v1/reports/"+m.second+"/transitions", m.staff, map[string]any{"to": "accepted"})

	r := h.Must(200, "POST", "/v1/reports/"+m.second+"/merge", m.staff, map[string]any{"into": m.primary, "note": "同一井盖"})
	if r.Str("status") != "merged" || r.Str("merged_into") != m.primary || r.Str("primary_status") != "submitted" {
		t.Fatalf("merged: %s", r.Raw)
	}
	var from, note, role string
	if err := h.Pool.QueryRow(h.ctx, `SELECT from_status, note, actor_role FROM report_transitions
		WHERE report_id = $1 AND to_status = 'merged'`, m.second).Scan(&from, &note, &role); err != nil {
		t.Fatalf("merge transition: %v", err)
	}
	if from != "accepted" || note != "同一井盖" || role != "community_staff" {
		t.Fatalf("merge transition: from %q note %q role %q", from, note, role)
	}
	ev := h.Events(event.ReportStatusChanged)
	var d event.ReportStatusChangedData
	_ = json.Unmarshal(ev[len(ev)-1].Data, &d)
	if d.To != "merged" || d.From != "accepted" || d.MergedInto != m.primary || d.WorkerID != m.wid2 || d.ReportID != m.second {
		t.Fatalf("merge event: %s", ev[len(ev)-1].Data)
	}

	// The merged report's reporter follows the primary.
	h.Must(200, "POST", "/v1/reports/"+m.primary+"/transitions", m.staff, map[string]any{"to": "accepted"})
	got := h.Must(200, "GET", "/v1/reports/"+m.second, m.w2, nil)
	if got.Str("merged_into") != m.primary || got.Str("primary_status") != "accepted" {
		t.Fatalf("reporter's view: %s", got.Raw)
	}
	if p := h.Must(200, "GET", "/v1/reports/"+m.primary, m.staff, nil); p.Str("primary_status") != "" || p.Str("merged_into") != "" {
		t.Fatalf("primary's view: %s", p.Raw)
	}

	// Merged is final, and only the merge endpoint merges.
	dispatch := map[string]any{"to": "dispatched", "unit": "城管", "person": "王"}
	r = h.Conflict("illegal_transition", "POST", "/v1/reports/"+m.second+"/transitions", m.staff, dispatch)
	if r.Str("detail") != "a merged report cannot become dispatched; it is final" {
		t.Fatalf("transition from merged: %s", r.Raw)
	}
	if r := h.Must(422, "POST", "/v1/reports/"+m.primary+"/transitions", m.staff, map[string]any{"to": "merged"}); r.Field() != "to" {
		t.Fatalf("transition to merged: %s", r.Raw)
	}

	// A merged report is no longer a likely duplicate, nor ever overdue.
	next := h.Must(201, "POST", "/v1/reports", m.w1, reportBody(nil))
	dups := next.Body["likely_duplicates"].([]any)
	if len(dups) != 1 { // the primary, not the report merged into it
		t.Fatalf("duplicates: %s", next.Raw)
	}
	h.Pool.Exec(h.ctx, "UPDATE reports SET due_at = now() - interval '1 minute'")
	for _, it := range h.Must(200, "GET", "/v1/reports/overdue", m.staff, nil).Body["items"].([]any) {
		if it.(map[string]any)["id"] == m.second {
			t.Fatal("a merged report is listed as overdue")
		}
	}
	ls := h.Must(200, "GET", "/v1/reports?status=merged", m.staff, nil).Body["items"].([]any)
	if len(ls) != 1 || ls[0].(map[string]any)["merged_into"] != m.primary {
		t.Fatalf("merged list: %v", ls)
	}

	// When the primary is merged in turn, the reporter follows the last one.
	last := h.Must(201, "POST", "/v1/reports", m.w1, reportBody(map[string]any{"lat": 37.5401})).Str("id")
	h.Must(200, "POST", "/v1/reports/"+m.primary+"/merge", h.StreetAdmin("qishan"), map[string]any{"into": last})
	h.Must(200, "POST", "/v1/reports/"+last+"/transitions", m.staff, map[string]any{"to": "rejected", "note": "非本辖区"})
	if got := h.Must(200, "GET", "/v1/reports/"+m.second, m.w2, nil); got.Str("merged_into") != m.primary || got.Str("primary_status") != "rejected" {
		t.Fatalf("after a second merge: %s", got.Raw)
	}
}

func TestReports_mergeRefusesAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	staff, w := m.staff, m.w1
	newReport := func(extra map[string]any) string {
		return h.Must(201, "POST", "/v1/reports", w, reportBody(extra)).Str("id")
	}
	move := func(id string, steps ...map[string]any) {
		for _, s := range steps {
			h.Must(200, "POST", "/v1/reports/"+id+"/transitions", staff, s)
		}
	}
	rejected := newReport(nil)
	move(rejected, map[string]any{"to": "rejected", "note": "重复"})
	traffic := newReport(map[string]any{"category": "traffic"})
	closed := newReport(nil)
	move(closed, map[string]any{"to": "accepted"}, map[string]any{"to": "dispatched", "unit": "城管", "person": "王"},
		map[string]any{"to": "resolved"}, map[string]any{"to": "closed", "valid": true})
	merged := newReport(nil)
	h.Must(200, "POST", "/v1/reports/"+merged+"/merge", staff, map[string]any{"into": m.primary})
	elsewhere := h.Must(201, "POST", "/v1/reports", h.Worker(h.knownWorker("qishan", "changsheng")), reportBody(nil)).Str("id")
	unknown := "0190d5e5-0000-7000-8000-000000000000"

	cases := []struct {
		name       string
		token      string
		id, into   any
		note       string
		status     int
		field      string // for 422; for 409, the reason
		detailHas  string
		intoDetail bool // the 404 names into
	}{
		{"worker caller", m.w2, m.second, m.primary, "", 403, "", "only staff", false},
		{"staff of another community", h.Staff("qishan", "changsheng"), m.second, m.primary, "", 404, "", "report not found", false},
		{"street admin of another street", h.StreetAdmin("zhifu"), m.second, m.primary, "", 404, "", "report not found", false},
		{"unknown report", staff, unknown, m.primary, "", 404, "", "report not found", false},
		{"primary out of scope", staff, m.second, elsewhere, "", 404, "", "report not found", true},
		{"unknown primary", staff, m.second, unknown, "", 404, "", "report not found", true},
		{"into itself", staff, m.second, m.second, "", 409, "merge_into_itself", "cannot be merged into itself", false},
		{"into a rejected report", staff, m.second, rejected, "", 409, "merge_target_rejected", "it was rejected", false},
		{"into a merged report", staff, m.second, merged, "", 409, "report_merged", "is itself merged into " + m.primary, false},
		{"different category", staff, m.second, traffic, "", 409, "merge_category_differs", "must have the same category", false},
		{"already merged", staff, merged, m.second, "", 409, "report_merged", "already merged into " + m.primary, false},
		{"closed report", staff, closed, m.primary, "", 409, "report_not_open", "a closed report cannot be merged", false},
		{"into missing", staff, m.second, nil, "", 422, "into", "", false},
		{"into not a uuid", staff, m.second, "r-17", "", 422, "into", "", false},
		{"into not a string", staff, m.second, 17, "", 400, "into", "", false},
		{"note too long", staff, m.second, m.primary, strings.Repeat("长", 501), 422, "note", "", false},
	}
	transitions := h.count("SELECT count(*) FROM report_transitions")
	events := len(h.Events(event.ReportStatusChanged))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{}
			if tc.into != nil {
				body["into"] = tc.into
			}
			if tc.note != "" {
				body["note"] = tc.note
			}
			r := h.Do("POST", "/v1/reports/"+tc.id.(string)+"/merge", tc.token, body)
			if got := r.FieldOrReason(); r.Status != tc.status || got != tc.field || !strings.Contains(r.Str("detail"), tc.detailHas) {
				t.Fatalf("status %d field %q, want %d %q %q: %s", r.Status, got, tc.status, tc.field, tc.detailHas, r.Raw)
			}
			if tc.intoDetail && r.Str("into") != tc.into {
				t.Fatalf("the 404 does not name into: %s", r.Raw)
			}
			if n := h.count("SELECT count(*) FROM report_transitions"); n != transitions {
				t.Fatalf("%d transitions, want %d", n, transitions)
			}
			if n := h.count("SELECT count(*) FROM reports WHERE status = 'merged'"); n != 1 {
				t.Fatalf("%d merged reports, want 1", n)
			}
		})
	}
	if n := len(h.Events(event.ReportStatusChanged)); n != events {
		t.Fatalf("%d status_changed events, want %d", n, events)
	}
}

// getPhoto fetches a photo without the JSON harness, which would hide a
// response cut short.
func (h *harness) getPhoto(path, token string) (*http.Response, []byte, error) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res, raw, err
}

func TestReports_photoDownload(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)
	pngData, jpegData := tinyPNG(t), tinyJPEG(t)
	id := h.submit(w, reportBody(nil), upload{"a.png", pngData}, upload{"b.jpg", jpegData}).Str("id")
	base := "/v1/reports/" + id + "/photos/"

	for _, who := range []struct{ name, token string }{
		{"reporter", w}, {"staff in scope", h.Staff("qishan", "tashan")}, {"street admin", h.StreetAdmin("qishan")}, {"district", h.District()},
	} {
		for _, ph := range []struct {
			n    string
			data []byte
			ct   string
		}{{"1", pngData, "image/png"}, {"2", jpegData, "image/jpeg"}} {
			r := h.Must(200, "GET", base+ph.n, who.token, nil)
			if !bytes.Equal(r.Raw, ph.data) || r.Header.Get("Content-Type") != ph.ct {
				t.Fatalf("%s, photo %s: %d bytes of %s", who.name, ph.n, len(r.Raw), r.Header.Get("Content-Type"))
			}
			if r.Header.Get("Content-Length") != strconv.Itoa(len(ph.data)) || r.Header.Get("Cache-Control") != "private, max-age=86400" ||
				r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s, photo %s: headers %v", who.name, ph.n, r.Header)
			}
		}
	}

	noPhotos := h.Must(201, "POST", "/v1/reports", w, reportBody(nil)).Str("id")
	cases := []struct {
		name, token, path, detail string
	}{
		{"another worker", h.Worker(h.knownWorker("qishan", "tashan")), base + "1", "report not found"},
		{"staff of another community", h.Staff("qishan", "changsheng"), base + "1", "report not found"},
		{"staff of another street", h.StreetAdmin("zhifu"), base + "1", "report not found"},
		{"unknown report", w, "/v1/reports/0190d5e5-0000-7000-8000-000000000000/photos/1", "report not found"},
		{"another worker, bad n", h.Worker(h.knownWorker("qishan", "tashan")), base + "abc", "report not found"},
		{"n=4", w, base + "4", "photo not found"},
		{"n=0", w, base + "0", "photo not found"},
		{"n=abc", w, base + "abc", "photo not found"},
		{"n=3 not taken", w, base + "3", "photo not found"},
		{"report without photos", w, "/v1/reports/" + noPhotos + "/photos/1", "photo not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", tc.path, tc.token, nil)
			if r.Status != 404 || r.Str("detail") != tc.detail || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d, want 404 %q: %s", r.Status, tc.detail, r.Raw)
			}
		})
	}

	t.Run("file cut short on disk", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(h.photoDir, id+"-2.jpg"), jpegData[:len(jpegData)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		res, raw, err := h.getPhoto(base+"2", w)
		if err == nil && res.StatusCode == 200 {
			t.Fatalf("a cut-off photo arrived whole: %d of %d bytes", len(raw), len(jpegData))
		}
	})
	t.Run("file missing on disk", func(t *testing.T) {
		if err := os.Remove(filepath.Join(h.photoDir, id+"-1.png")); err != nil {
			t.Fatal(err)
		}
		r := h.Do("GET", base+"1", w, nil)
		if r.Status != 500 || r.Header.Get("Content-Type") != "application/problem+json" || r.Str("request_id") == "" {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
}

func TestReports_mergeBothWaysAtOnceMergesOne(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	for i := 0; i < 8; i++ {
		a := h.Must(201, "POST", "/v1/reports", m.w1, reportBody(nil)).Str("id")
		b := h.Must(201, "POST", "/v1/reports", m.w2, reportBody(nil)).Str("id")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, pair := range [][2]string{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[j] = h.Do("POST", "/v1/reports/"+pair[0]+"/merge", m.staff, map[string]any{"into": pair[1]}).Status
			}()
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || codes[1] != 409 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", i, codes)
		}
	}
}

func TestReports_aFailedWriteLeavesNoPhotoBehind(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	// The database refuses this one report (a test-only trigger in this
	// test's own database), after its photos were stored.
	if _, err := h.Pool.Exec(h.ctx, `CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.description = 'refuse me' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_marked BEFORE INSERT ON reports FOR EACH ROW EXECUTE FUNCTION refuse_marked()`); err != nil {
		t.Fatal(err)
	}
	r := h.submit(h.Worker(wid), reportBody(map[string]any{"description": "refuse me"}), upload{"a.png", tinyPNG(t)}, upload{"b.jpg", tinyJPEG(t)})
	if r.Status != 500 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if n := h.photoFiles(); n != 0 {
		t.Fatalf("%d photo files left after the report could not be stored", n)
	}
	if n := h.count("SELECT count(*) FROM reports") + h.count("SELECT count(*) FROM report_photos"); n != 0 {
		t.Fatalf("%d rows written", n)
	}
}

func TestReports_aBodyFarTooLargeIsRefusedAsSuch(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	big := append(tinyPNG(t), make([]byte, 5<<20-1000)...) // just under 5 MB each
	r := h.submit(h.Worker(wid), reportBody(nil), upload{"1.png", big}, upload{"2.png", big}, upload{"3.png", big},
		upload{"4.png", big}, upload{"5.png", big})
	if r.Status != 413 || r.Field() != "photo" {
		t.Fatalf("status %d field %q: %s", r.Status, r.Field(), r.Raw)
	}
	if n := h.count("SELECT count(*) FROM reports"); n != 0 {
		t.Fatalf("%d reports written", n)
	}
}
