package activity_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// A rider about to report sees the open reports of that category close
// by — what the submission would answer as likely duplicates — but never
// who made them or what they wrote; staff also get the ids of those they
// manage.
func TestReports_nearbyTellsOpenReportsCloseByAndNothingPersonal(t *testing.T) {
	h := newHarness(t)
	reporter := h.knownWorker("qishan", "tashan")
	w := h.Worker(reporter)
	at := func(extra map[string]any) string {
		return h.Must(201, "POST", "/v1/reports", w, reportBody(extra)).Str("id")
	}
	here := at(nil)
	north := at(map[string]any{"lat": 37.5400 + 0.00027}) // about 30 m
	at(map[string]any{"lat": 37.5400 + 0.0018})           // about 200 m: too far
	at(map[string]any{"category": "traffic"})             // another category
	rejected := at(nil)
	h.Must(200, "POST", "/v1/reports/"+rejected+"/transitions", h.Staff("qishan", "tashan"), map[string]any{"to": "rejected", "note": "重复"})
	old := at(nil)
	if _, err := h.Pool.Exec(h.ctx, "UPDATE reports SET created_at = created_at - interval '25 hours' WHERE id = $1", old); err != nil {
		t.Fatal(err)
	}
	q := "/v1/reports/nearby?lat=37.54&lng=121.39&category=safety_hazard"

	// Another rider, of another street.
	other := h.Must(200, "GET", q, h.Worker(h.knownWorker("zhifu", "baishi")), nil)
	items := other.Items()
	if len(items) != 2 || other.Num("radius_m") != 50 || other.Num("window_hours") != 24 {
		t.Fatalf("nearby: %s", other.Raw)
	}
	first, second := items[0].(map[string]any), items[1].(map[string]any)
	if first["distance_m"].(float64) > 1 || second["distance_m"].(float64) < 20 || second["distance_m"].(float64) > 40 ||
		first["category"] != "safety_hazard" || first["status"] != "submitted" || first["created_at"] == nil {
		t.Fatalf("nearest first, with distance, category, status and time: %s", other.Raw)
	}
	for _, secret := range []string{here, north, reporter, "井盖缺失", "奇山路12号", "worker_id", "description", "\"id\""} {
		if strings.Contains(string(other.Raw), secret) {
			t.Fatalf("a rider is told %q of someone else's report: %s", secret, other.Raw)
		}
	}
	// The reporter is told no more (they find their own in GET /v1/reports).
	if mine := h.Must(200, "GET", q, w, nil); strings.Contains(string(mine.Raw), here) {
		t.Fatalf("ids to a worker: %s", mine.Raw)
	}

	// Staff who manage the reports get their ids; others do not.
	ids := func(token string) []any {
		var out []any
		for _, it := range h.Must(200, "GET", q, token, nil).Items() {
			out = append(out, it.(map[string]any)["id"])
		}
		return out
	}
	for _, tc := range []struct {
		who   string
		token string
		want  []any
	}{
		{"community staff", h.Staff("qishan", "tashan"), []any{here, north}},
		{"street admin", h.StreetAdmin("qishan"), []any{here, north}},
		{"district admin", h.District(), []any{here, north}},
		{"another community's staff", h.Staff("qishan", "changsheng"), []any{nil, nil}},
		{"another street's admin", h.StreetAdmin("zhifu"), []any{nil, nil}},
	} {
		if got := ids(tc.token); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: ids %v, want %v", tc.who, got, tc.want)
		}
	}

	// Nothing close by: an empty list.
	if r := h.Must(200, "GET", "/v1/reports/nearby?lat=37.6&lng=121.5&category=fire_risk", w, nil); len(r.Items()) != 0 || !strings.Contains(string(r.Raw), `"items":[]`) {
		t.Fatalf("none: %s", r.Raw)
	}

	for _, tc := range []struct {
		name, query string
		status      int
		field       string
	}{
		{"no lat", "lng=121.39&category=traffic", 422, "lat"},
		{"no lng", "lat=37.54&category=traffic", 422, "lng"},
		{"no category", "lat=37.54&lng=121.39", 422, "category"},
		{"unknown category", "lat=37.54&lng=121.39&category=ufo", 422, "category"},
		{"lat not a number", "lat=north&lng=121.39&category=traffic", 422, "lat"},
		{"lat out of range", "lat=91&lng=121.39&category=traffic", 422, "lat"},
		{"no fix", "lat=0&lng=0&category=traffic", 422, "lat"},
		{"an unknown parameter", "lat=37.54&lng=121.39&category=traffic&radius_m=5000", 400, "radius_m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/reports/nearby?"+tc.query, w, nil)
			if r.Status != tc.status || !strings.Contains(string(r.Raw), `"`+tc.field+`"`) {
				t.Fatalf("status %d, want %d on %s: %s", r.Status, tc.status, tc.field, r.Raw)
			}
		})
	}
	if r := h.Do("GET", q, h.Worker("0190d5e5-0000-7000-8000-000000000000"), nil); r.Status != 404 {
		t.Fatalf("unknown worker: %d %s", r.Status, r.Raw)
	}
	h.Must(401, "GET", q, "", nil)
}

// multipartBody is a report with a photo as one fixed sequence of bytes:
// what a phone keeps and sends again, byte for byte, when it retries.
func multipartBody(t *testing.T, boundary string, report map[string]any, photo []byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(report)
	fw, _ := mw.CreateFormField("report")
	fw.Write(raw)
	pw, _ := mw.CreateFormFile("photo", "photo-1.jpg")
	pw.Write(photo)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), mw.FormDataContentType()
}

// A phone that lost the answer sends the report again with the same key:
// one report, one set of photos, and the first answer again.
func TestReports_aMultipartReportSentTwiceWithOneKeyIsOneReport(t *testing.T) {
	h := newHarness(t)
	w := h.Worker(h.knownWorker("qishan", "tashan"))
	key := "rider-offline-7f0c"
	body, ct := multipartBody(t, "nuanxin-"+key, reportBody(nil), tinyJPEG(t))
	first := h.Must(201, "POST", "/v1/reports", w, body, "Content-Type", ct, "Idempotency-Key", key)
	again := h.Must(201, "POST", "/v1/reports", w, body, "Content-Type", ct, "Idempotency-Key", key)
	if again.Str("id") != first.Str("id") || again.Header.Get("Idempotent-Replayed") != "true" || len(again.Body["photos"].([]any)) != 1 {
		t.Fatalf("replay: %s %v", again.Raw, again.Header)
	}
	// The same report in a body built afresh (another boundary) is another
	// request to the key: refused, not made twice. A phone keeps the bytes.
	raw, _ := json.Marshal(reportBody(nil))
	other := h.PostForm("/v1/reports", w, []testenv.Part{{Name: "report", Data: raw}, {Name: "photo", FileName: "photo-1.jpg", Data: tinyJPEG(t)}},
		"Idempotency-Key", key)
	if other.Status != 422 || other.Field() != "Idempotency-Key" {
		t.Fatalf("same key, other bytes: %d %s", other.Status, other.Raw)
	}
	if n := h.count("SELECT count(*) FROM reports"); n != 1 {
		t.Fatalf("%d reports", n)
	}
	if n := h.photoFiles(); n != 1 {
		t.Fatalf("%d photo files", n)
	}
}
