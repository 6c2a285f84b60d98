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
	"strings"
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
