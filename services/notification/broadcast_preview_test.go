package notification_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// POST /v1/broadcasts/preview counts whom a broadcast to a segment would
// reach now, in the scope a broadcast has, and queues nothing; a segment
// of no one is 0, not an error; bad segments answer as a broadcast would.
func TestBroadcastPreview_countsTheSegmentInTheBroadcastsScope(t *testing.T) {
	h := newHarness(t)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	h.workersDirect(30, "qishan", "tashan", "food_delivery")
	h.workersDirect(20, "qishan", "tashan", "courier")
	h.workersDirect(10, "qishan", "changsheng", "food_delivery")
	h.workersDirect(10, "zhifu", "baishi", "food_delivery")
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO workers (id, street, community, occupation, political_status, status, event_time)
		SELECT gen_random_uuid(), 'qishan', 'tashan', 'food_delivery', 'party_member', 'active', now() FROM generate_series(1, 4);
		INSERT INTO workers (id, street, community, occupation, political_status, status, event_time)
		SELECT gen_random_uuid(), 'qishan', 'tashan', 'food_delivery', 'masses', 'left', now() FROM generate_series(1, 7)`); err != nil {
		t.Fatal(err)
	}
	h.worker("qishan", "changsheng") // through the registry's event: food_delivery, masses
	h.Settled()
	admin, district := h.StreetAdmin("qishan"), h.District()
	seg := func(kv ...string) map[string]any {
		s := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			s[kv[i]] = kv[i+1]
		}
		return map[string]any{"segment": s}
	}
	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		want   int    // recipients, for a 200
		street string // the street counted, for a 200
		field  string // the field at fault, otherwise
	}{
		{"the whole street", admin, seg(), 200, 65, "qishan", ""},
		{"the street named, its own", admin, seg("street", "qishan"), 200, 65, "qishan", ""},
		{"a community", admin, seg("community", "tashan"), 200, 54, "qishan", ""},
		{"a community known from workers only", admin, seg("community", "changsheng"), 200, 11, "qishan", ""},
		{"an occupation", admin, seg("occupation", "food_delivery"), 200, 45, "qishan", ""},
		{"a community and an occupation", admin, seg("community", "tashan", "occupation", "courier"), 200, 20, "qishan", ""},
		{"a political status", admin, seg("political_status", "party_member"), 200, 4, "qishan", ""},
		{"a segment of no one", admin, seg("occupation", "freight_driver"), 200, 0, "qishan", ""},
		{"an activity is ignored", admin, seg("activity_id", uuid.NewString()), 200, 65, "qishan", ""},
		{"a district admin, a street", district, seg("street", "zhifu"), 200, 10, "zhifu", ""},
		{"a district admin, a community", district, seg("street", "qishan", "community", "tashan", "occupation", "food_delivery"), 200, 34, "qishan", ""},
		{"a district admin without a street", district, seg(), 422, 0, "", "segment.street"},
		{"another street", admin, seg("street", "zhifu"), 422, 0, "", "segment.street"},
		{"a community of another street", admin, seg("community", "baishi"), 422, 0, "", "segment.community"},
		{"an unknown community", admin, seg("community", "atlantis"), 422, 0, "", "segment.community"},
		{"an unknown occupation", admin, seg("occupation", "astronaut"), 422, 0, "", "segment.occupation"},
		{"an unknown political status", admin, seg("political_status", "king"), 422, 0, "", "segment.political_status"},
		{"an unknown segment key", admin, seg("age", "30"), 400, 0, "", "segment.age"},
		{"a broadcast's other fields", admin, testenv.With(warmList, seg()), 400, 0, "", "template"},
		{"community staff", h.Staff("qishan", "tashan"), seg(), 403, 0, "", ""},
		{"a worker", h.Worker(uuid.NewString()), seg(), 403, 0, "", ""},
		{"no token", "", seg(), 401, 0, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/broadcasts/preview", tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if tc.status != 200 {
				if r.Field() != tc.field || r.Str("detail") == "" {
					t.Fatalf("field %q, want %q: %s", r.Field(), tc.field, r.Raw)
				}
				return
			}
			got, _ := r.Body["segment"].(map[string]any)
			if int(r.Num("recipients")) != tc.want || got["street"] != tc.street || got["activity_id"] != nil {
				t.Fatalf("want %d recipients of %s: %s", tc.want, tc.street, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM broadcasts"); n != 0 {
		t.Fatalf("a preview queued %d broadcasts", n)
	}

	// The count is what the broadcast then reaches.
	body := testenv.With(warmList, seg("community", "tashan", "occupation", "food_delivery"))
	want := h.Must(200, "POST", "/v1/broadcasts/preview", admin, seg("community", "tashan", "occupation", "food_delivery")).Num("recipients")
	id := h.Must(201, "POST", "/v1/broadcasts", admin, body).Str("id")
	testenv.Eventually(t, 15*time.Second, func() bool {
		return h.Must(200, "GET", "/v1/broadcasts/"+id, admin, nil).Str("status") == "done"
	})
	if r := h.Must(200, "GET", "/v1/broadcasts/"+id, admin, nil); r.Num("total") != want || r.Num("sent") != want {
		t.Fatalf("previewed %v, broadcast: %s", want, r.Raw)
	}
}
