package activity_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/event"
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

func reportBody(extra map[string]any) map[string]any {
	b := map[string]any{"category": "safety_hazard", "description": "井盖缺失", "lat": 37.5400, "lng": 121.3900,
		"address": "奇山路12号"}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// submit posts a report as multipart/form-data with photos.
func (h *harness) submit(token string, report map[string]any, photos ...upload) response {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	raw, _ := json.Marshal(report)
	_ = mw.WriteField("report", string(raw))
	for _, p := range photos {
		fw, _ := mw.CreateFormFile("photo", p.name)
		_, _ = fw.Write(p.data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/reports", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	out := response{Status: res.StatusCode, Header: res.Header}
	out.Raw, _ = io.ReadAll(res.Body)
	_ = json.Unmarshal(out.Raw, &out.Body)
	return out
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
	r := h.submit(h.worker(wid), reportBody(nil), upload{"a.png", tinyPNG(t)}, upload{"b.jpg", tinyJPEG(t)})
	if r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if r.str("status") != "submitted" || r.str("street") != "qishan" || r.str("community") != "tashan" || r.str("worker_id") != wid {
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
	h.must(201, "POST", "/v1/reports", h.worker(wid), reportBody(map[string]any{"category": "suggestion", "community": "changsheng"}))
	ev := h.events(event.ReportSubmitted.Type())
	if len(ev) != 2 {
		t.Fatalf("%d submitted events", len(ev))
	}
	var d map[string]any
	_ = json.Unmarshal(ev[0].Data, &d)
	if d["report_id"] != r.str("id") || d["category"] != "safety_hazard" || d["due_at"] == nil || d["description"] != nil {
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.submit(h.worker(wid), reportBody(tc.body), tc.photos...)
			if r.Status != tc.status || r.field() != tc.field {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.field(), tc.status, tc.field, r.Raw)
			}
		})
	}
	r := h.submit(h.worker("0190d5e5-0000-7000-8000-000000000000"), reportBody(nil), png)
	if r.Status != 404 || r.str("detail") != "worker not found" {
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
	w := h.worker(h.knownWorker("qishan", "tashan"))
	first := h.must(201, "POST", "/v1/reports", w, reportBody(nil)).str("id")
	// About 30 m north: a likely duplicate.
	near := h.must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"lat": 37.5400 + 0.00027}))
	dups := near.Body["likely_duplicates"].([]any)
	if len(dups) != 1 || dups[0].(map[string]any)["id"] != first {
		t.Fatalf("near: %s", near.Raw)
	}
	// About 200 m away: not one.
	far := h.must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"lat": 37.5400 + 0.0018}))
	if dups := far.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("far: %s", far.Raw)
	}
	// Another category at the same spot: not one.
	other := h.must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"category": "traffic"}))
	if dups := other.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("other category: %s", other.Raw)
	}
	// Older than 24 h: not one.
	h.pool.Exec(h.ctx, "UPDATE reports SET created_at = created_at - interval '25 hours'")
	old := h.must(201, "POST", "/v1/reports", w, reportBody(nil))
	if dups := old.Body["likely_duplicates"].([]any); len(dups) != 0 {
		t.Fatalf("old: %s", old.Raw)
	}
}

func TestReports_lifecycleAndScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.worker(wid)
	id := h.must(201, "POST", "/v1/reports", w, reportBody(nil)).str("id")
	path := "/v1/reports/" + id
	staff := h.staff("qishan", "tashan")

	h.must(403, "POST", path+"/transitions", w, map[string]any{"to": "accepted"})
	h.must(404, "POST", path+"/transitions", h.streetAdmin("zhifu"), map[string]any{"to": "accepted"})
	h.must(404, "POST", path+"/transitions", h.staff("qishan", "changsheng"), map[string]any{"to": "accepted"})
	h.must(404, "GET", path, h.streetAdmin("zhifu"), nil)
	h.must(404, "GET", path, h.worker(h.knownWorker("qishan", "tashan")), nil)
	h.must(200, "GET", path, w, nil)

	r := h.must(409, "POST", path+"/transitions", staff, map[string]any{"to": "resolved"})
	if !strings.Contains(r.str("detail"), "accepted or rejected") {
		t.Fatalf("illegal: %s", r.Raw)
	}
	if r := h.must(422, "POST", path+"/transitions", staff, map[string]any{"to": "rejected"}); r.field() != "note" {
		t.Fatalf("reject without note: %s", r.Raw)
	}
	h.must(200, "POST", path+"/transitions", staff, map[string]any{"to": "accepted", "note": "收到"})
	if r := h.must(422, "POST", path+"/transitions", staff, map[string]any{"to": "dispatched", "person": "王"}); r.field() != "unit" {
		t.Fatalf("dispatch without unit: %s", r.Raw)
	}
	h.must(200, "POST", path+"/transitions", h.streetAdmin("qishan"), map[string]any{"to": "dispatched", "unit": "城管中队", "person": "王师傅"})
	h.must(200, "POST", path+"/transitions", staff, map[string]any{"to": "resolved", "note": "已补井盖"})
	if r := h.must(422, "POST", path+"/transitions", staff, map[string]any{"to": "closed"}); r.field() != "valid" {
		t.Fatalf("close without valid: %s", r.Raw)
	}
	c := h.must(200, "POST", path+"/transitions", staff, map[string]any{"to": "closed", "valid": true})
	if c.str("status") != "closed" || c.Body["valid"] != true {
		t.Fatalf("closed: %s", c.Raw)
	}
	h.must(409, "POST", path+"/transitions", staff, map[string]any{"to": "accepted"})

	got := h.must(200, "GET", path, w, nil)
	tr := got.Body["transitions"].([]any)
	if len(tr) != 4 || tr[1].(map[string]any)["unit"] != "城管中队" || tr[0].(map[string]any)["note"] != "收到" {
		t.Fatalf("transitions: %s", got.Raw)
	}
	ev := h.events(event.ReportStatusChanged.Type())
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
	if n := len(h.must(200, "GET", "/v1/reports", staff, nil).Body["items"].([]any)); n != 1 {
		t.Fatalf("staff list %d", n)
	}
	if n := len(h.must(200, "GET", "/v1/reports", h.streetAdmin("zhifu"), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("other street list %d", n)
	}
	if n := len(h.must(200, "GET", "/v1/reports", h.worker(h.knownWorker("qishan", "tashan")), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("other worker list %d", n)
	}
	open := h.must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"category": "fire_risk"})).str("id")
	h.pool.Exec(h.ctx, "UPDATE reports SET due_at = now() - interval '1 minute' WHERE id = $1", open)
	od := h.must(200, "GET", "/v1/reports/overdue", staff, nil).Body["items"].([]any)
	if len(od) != 1 || od[0].(map[string]any)["id"] != open {
		t.Fatalf("overdue: %v", od)
	}
	h.must(403, "GET", "/v1/reports/overdue", w, nil)
	p1 := h.must(200, "GET", "/v1/reports?limit=1", w, nil)
	if len(p1.Body["items"].([]any)) != 1 || p1.str("next") == "" {
		t.Fatalf("page 1: %s", p1.Raw)
	}
	p2 := h.must(200, "GET", "/v1/reports?limit=1&after="+p1.str("next"), w, nil)
	if len(p2.Body["items"].([]any)) != 1 || p2.str("next") != "" {
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
	m := mergeSetup{staff: h.staff("qishan", "tashan"), w1: h.worker(wid1), w2: h.worker(wid2), wid2: wid2}
	m.primary = h.must(201, "POST", "/v1/reports", m.w1, reportBody(nil)).str("id")
	m.second = h.must(201, "POST", "/v1/reports", m.w2, reportBody(map[string]any{"lat": 37.5400 + 0.0002})).str("id")
	return m
}

func TestReports_mergeIntoPrimary(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	h.must(200, "POST", "/v1/reports/"+m.second+"/transitions", m.staff, map[string]any{"to": "accepted"})

	r := h.must(200, "POST", "/v1/reports/"+m.second+"/merge", m.staff, map[string]any{"into": m.primary, "note": "同一井盖"})
	if r.str("status") != "merged" || r.str("merged_into") != m.primary || r.str("primary_status") != "submitted" {
		t.Fatalf("merged: %s", r.Raw)
	}
	var from, note, role string
	if err := h.pool.QueryRow(h.ctx, `SELECT from_status, note, actor_role FROM report_transitions
		WHERE report_id = $1 AND to_status = 'merged'`, m.second).Scan(&from, &note, &role); err != nil {
		t.Fatalf("merge transition: %v", err)
	}
	if from != "accepted" || note != "同一井盖" || role != "community_staff" {
		t.Fatalf("merge transition: from %q note %q role %q", from, note, role)
	}
	ev := h.events(event.ReportStatusChanged.Type())
	var d event.ReportStatusChangedData
	_ = json.Unmarshal(ev[len(ev)-1].Data, &d)
	if d.To != "merged" || d.From != "accepted" || d.MergedInto != m.primary || d.WorkerID != m.wid2 || d.ReportID != m.second {
		t.Fatalf("merge event: %s", ev[len(ev)-1].Data)
	}

	// The merged report's reporter follows the primary.
	h.must(200, "POST", "/v1/reports/"+m.primary+"/transitions", m.staff, map[string]any{"to": "accepted"})
	got := h.must(200, "GET", "/v1/reports/"+m.second, m.w2, nil)
	if got.str("merged_into") != m.primary || got.str("primary_status") != "accepted" {
		t.Fatalf("reporter's view: %s", got.Raw)
	}
	if p := h.must(200, "GET", "/v1/reports/"+m.primary, m.staff, nil); p.str("primary_status") != "" || p.str("merged_into") != "" {
		t.Fatalf("primary's view: %s", p.Raw)
	}

	// Merged is final, and only the merge endpoint merges.
	dispatch := map[string]any{"to": "dispatched", "unit": "城管", "person": "王"}
	r = h.must(409, "POST", "/v1/reports/"+m.second+"/transitions", m.staff, dispatch)
	if r.str("detail") != "a merged report cannot become dispatched; it is final" {
		t.Fatalf("transition from merged: %s", r.Raw)
	}
	if r := h.must(422, "POST", "/v1/reports/"+m.primary+"/transitions", m.staff, map[string]any{"to": "merged"}); r.field() != "to" {
		t.Fatalf("transition to merged: %s", r.Raw)
	}

	// A merged report is no longer a likely duplicate, nor ever overdue.
	next := h.must(201, "POST", "/v1/reports", m.w1, reportBody(nil))
	dups := next.Body["likely_duplicates"].([]any)
	if len(dups) != 1 || dups[0].(map[string]any)["id"] != m.primary {
		t.Fatalf("duplicates: %s", next.Raw)
	}
	h.pool.Exec(h.ctx, "UPDATE reports SET due_at = now() - interval '1 minute'")
	for _, it := range h.must(200, "GET", "/v1/reports/overdue", m.staff, nil).Body["items"].([]any) {
		if it.(map[string]any)["id"] == m.second {
			t.Fatal("a merged report is listed as overdue")
		}
	}
	ls := h.must(200, "GET", "/v1/reports?status=merged", m.staff, nil).Body["items"].([]any)
	if len(ls) != 1 || ls[0].(map[string]any)["merged_into"] != m.primary {
		t.Fatalf("merged list: %v", ls)
	}

	// When the primary is merged in turn, the reporter follows the last one.
	last := h.must(201, "POST", "/v1/reports", m.w1, reportBody(map[string]any{"lat": 37.5401})).str("id")
	h.must(200, "POST", "/v1/reports/"+m.primary+"/merge", h.streetAdmin("qishan"), map[string]any{"into": last})
	h.must(200, "POST", "/v1/reports/"+last+"/transitions", m.staff, map[string]any{"to": "rejected", "note": "非本辖区"})
	if got := h.must(200, "GET", "/v1/reports/"+m.second, m.w2, nil); got.str("merged_into") != m.primary || got.str("primary_status") != "rejected" {
		t.Fatalf("after a second merge: %s", got.Raw)
	}
}

func TestReports_mergeRefusesAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	staff, w := m.staff, m.w1
	newReport := func(extra map[string]any) string {
		return h.must(201, "POST", "/v1/reports", w, reportBody(extra)).str("id")
	}
	move := func(id string, steps ...map[string]any) {
		for _, s := range steps {
			h.must(200, "POST", "/v1/reports/"+id+"/transitions", staff, s)
		}
	}
	rejected := newReport(nil)
	move(rejected, map[string]any{"to": "rejected", "note": "重复"})
	traffic := newReport(map[string]any{"category": "traffic"})
	closed := newReport(nil)
	move(closed, map[string]any{"to": "accepted"}, map[string]any{"to": "dispatched", "unit": "城管", "person": "王"},
		map[string]any{"to": "resolved"}, map[string]any{"to": "closed", "valid": true})
	merged := newReport(nil)
	h.must(200, "POST", "/v1/reports/"+merged+"/merge", staff, map[string]any{"into": m.primary})
	elsewhere := h.must(201, "POST", "/v1/reports", h.worker(h.knownWorker("qishan", "changsheng")), reportBody(nil)).str("id")
	unknown := "0190d5e5-0000-7000-8000-000000000000"

	cases := []struct {
		name       string
		token      string
		id, into   any
		note       string
		status     int
		field      string // for 422
		detailHas  string
		intoDetail bool // the 404 names into
	}{
		{"worker caller", m.w2, m.second, m.primary, "", 403, "", "only staff", false},
		{"staff of another community", h.staff("qishan", "changsheng"), m.second, m.primary, "", 404, "", "report not found", false},
		{"street admin of another street", h.streetAdmin("zhifu"), m.second, m.primary, "", 404, "", "report not found", false},
		{"unknown report", staff, unknown, m.primary, "", 404, "", "report not found", false},
		{"primary out of scope", staff, m.second, elsewhere, "", 404, "", "report not found", true},
		{"unknown primary", staff, m.second, unknown, "", 404, "", "report not found", true},
		{"into itself", staff, m.second, m.second, "", 409, "", "cannot be merged into itself", false},
		{"into a rejected report", staff, m.second, rejected, "", 409, "", "it was rejected", false},
		{"into a merged report", staff, m.second, merged, "", 409, "", "is itself merged into " + m.primary, false},
		{"different category", staff, m.second, traffic, "", 409, "", "must have the same category", false},
		{"already merged", staff, merged, m.second, "", 409, "", "already merged into " + m.primary, false},
		{"closed report", staff, closed, m.primary, "", 409, "", "a closed report cannot be merged", false},
		{"into missing", staff, m.second, nil, "", 422, "into", "", false},
		{"into not a uuid", staff, m.second, "r-17", "", 422, "into", "", false},
		{"into not a string", staff, m.second, 17, "", 400, "into", "", false},
		{"note too long", staff, m.second, m.primary, strings.Repeat("长", 501), 422, "note", "", false},
	}
	transitions := h.count("SELECT count(*) FROM report_transitions")
	events := len(h.events(event.ReportStatusChanged.Type()))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{}
			if tc.into != nil {
				body["into"] = tc.into
			}
			if tc.note != "" {
				body["note"] = tc.note
			}
			r := h.do("POST", "/v1/reports/"+tc.id.(string)+"/merge", tc.token, body)
			if r.Status != tc.status || r.field() != tc.field || !strings.Contains(r.str("detail"), tc.detailHas) {
				t.Fatalf("status %d field %q, want %d %q %q: %s", r.Status, r.field(), tc.status, tc.field, tc.detailHas, r.Raw)
			}
			if tc.intoDetail && r.str("into") != tc.into {
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
	if n := len(h.events(event.ReportStatusChanged.Type())); n != events {
		t.Fatalf("%d status_changed events, want %d", n, events)
	}
}

// getPhoto fetches a photo without the JSON harness, which would hide a
// response cut short.
func (h *harness) getPhoto(path, token string) (*http.Response, []byte, error) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
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
	w := h.worker(wid)
	pngData, jpegData := tinyPNG(t), tinyJPEG(t)
	id := h.submit(w, reportBody(nil), upload{"a.png", pngData}, upload{"b.jpg", jpegData}).str("id")
	base := "/v1/reports/" + id + "/photos/"

	for _, who := range []struct{ name, token string }{
		{"reporter", w}, {"staff in scope", h.staff("qishan", "tashan")}, {"street admin", h.streetAdmin("qishan")}, {"district", h.district()},
	} {
		for _, ph := range []struct {
			n    string
			data []byte
			ct   string
		}{{"1", pngData, "image/png"}, {"2", jpegData, "image/jpeg"}} {
			r := h.must(200, "GET", base+ph.n, who.token, nil)
			if !bytes.Equal(r.Raw, ph.data) || r.Header.Get("Content-Type") != ph.ct {
				t.Fatalf("%s, photo %s: %d bytes of %s", who.name, ph.n, len(r.Raw), r.Header.Get("Content-Type"))
			}
			if r.Header.Get("Content-Length") != strconv.Itoa(len(ph.data)) || r.Header.Get("Cache-Control") != "private, max-age=86400" ||
				r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s, photo %s: headers %v", who.name, ph.n, r.Header)
			}
		}
	}

	noPhotos := h.must(201, "POST", "/v1/reports", w, reportBody(nil)).str("id")
	cases := []struct {
		name, token, path, detail string
	}{
		{"another worker", h.worker(h.knownWorker("qishan", "tashan")), base + "1", "report not found"},
		{"staff of another community", h.staff("qishan", "changsheng"), base + "1", "report not found"},
		{"staff of another street", h.streetAdmin("zhifu"), base + "1", "report not found"},
		{"unknown report", w, "/v1/reports/0190d5e5-0000-7000-8000-000000000000/photos/1", "report not found"},
		{"another worker, bad n", h.worker(h.knownWorker("qishan", "tashan")), base + "abc", "report not found"},
		{"n=4", w, base + "4", "photo not found"},
		{"n=0", w, base + "0", "photo not found"},
		{"n=abc", w, base + "abc", "photo not found"},
		{"n=3 not taken", w, base + "3", "photo not found"},
		{"report without photos", w, "/v1/reports/" + noPhotos + "/photos/1", "photo not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("GET", tc.path, tc.token, nil)
			if r.Status != 404 || r.str("detail") != tc.detail || r.Header.Get("Content-Type") != "application/problem+json" {
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
		r := h.do("GET", base+"1", w, nil)
		if r.Status != 500 || r.Header.Get("Content-Type") != "application/problem+json" || r.str("request_id") == "" {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})
}

func TestReports_mergeBothWaysAtOnceMergesOne(t *testing.T) {
	h := newHarness(t)
	m := newMergeSetup(h)
	for i := 0; i < 8; i++ {
		a := h.must(201, "POST", "/v1/reports", m.w1, reportBody(nil)).str("id")
		b := h.must(201, "POST", "/v1/reports", m.w2, reportBody(nil)).str("id")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, pair := range [][2]string{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[j] = h.do("POST", "/v1/reports/"+pair[0]+"/merge", m.staff, map[string]any{"into": pair[1]}).Status
			}()
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || codes[1] != 409 {
			t.Fatalf("round %d: statuses %v, want one 200 and one 409", i, codes)
		}
	}
}
