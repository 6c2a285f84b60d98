package activity_test

import (
	"context"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// A street and community created in the registry become places the
// activity service accepts, from its events; an event delivered three
// times records the community once.
func TestPlaces_followRealRegistryEventsOnce(t *testing.T) {
	h := newHarness(t)
	reg := h.registryService()
	ctx := context.Background()
	admin := auth.Principal{Role: auth.DistrictAdmin, Subject: "test"}
	body := activityBody(map[string]any{"street": "laishan", "community": "chuwang"})
	h.Must(422, "POST", "/v1/activities", h.District(), body)

	if _, err := reg.CreateStreet(ctx, admin, registry.StreetInput{Code: "laishan", Name: "莱山街道"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateCommunity(ctx, admin, "laishan", registry.CommunityInput{Code: "chuwang", Name: "初旺社区"}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, func() bool {
		return h.count("SELECT count(*) FROM communities WHERE street = 'laishan' AND code = 'chuwang' AND name = '初旺社区'") == 1
	})
	h.Must(201, "POST", "/v1/activities", h.District(), body)
	h.Must(201, "POST", "/v1/activities", h.StreetAdmin("laishan"), activityBody(map[string]any{"community": "chuwang"}))

	e := h.Publish(event.CommunityCreated, "laishan", "zhuji", event.CommunityData{Code: "zhuji", Name: "珠玑社区", Street: "laishan"})
	h.Republish(event.CommunityCreated, e)
	h.Republish(event.CommunityCreated, e)
	h.Settled()
	if n := h.count("SELECT count(*) FROM communities WHERE street = 'laishan'"); n != 2 {
		t.Fatalf("%d communities of laishan, want 2", n)
	}
	if n := h.count("SELECT count(*) FROM inbox WHERE event_id = $1", e.ID); n != 1 {
		t.Fatalf("inbox rows for the event: %d", n)
	}
}

// A street or community code that registry never told of is refused where
// it is typed, naming the field, and nothing is written: a row under it
// would be seen by no one who looks after a community.
func TestPlaces_anUnknownStreetOrCommunityIsRefusedAndNothingWritten(t *testing.T) {
	h := newHarness(t)
	rider := h.knownWorker("qishan", "tashan")
	cases := []struct {
		name, path, token string
		body              map[string]any
		field             string
	}{
		{"district admin, unknown street", "/v1/activities", h.District(), activityBody(map[string]any{"street": "qishn"}), "street"},
		{"district admin, unknown community", "/v1/activities", h.District(),
			activityBody(map[string]any{"street": "qishan", "community": "tashn"}), "community"},
		{"street admin, another street's community", "/v1/activities", h.StreetAdmin("qishan"),
			activityBody(map[string]any{"community": "baishi"}), "community"},
		{"need, unknown community", "/v1/needs", h.StreetAdmin("qishan"),
			testenv.With(needBody, map[string]any{"community": "nowhere"}), "community"},
		{"resource, unknown community", "/v1/resources", h.StreetAdmin("qishan"),
			testenv.With(resourceBody, map[string]any{"community": "nowhere"}), "community"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", tc.path, tc.token, tc.body)
			if r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("status %d field %q, want 422 %q: %s", r.Status, r.Field(), tc.field, r.Raw)
			}
		})
	}
	for _, community := range []string{"nowhere", "baishi"} { // baishi is zhifu's, not the rider's street's
		r := h.submit(h.Worker(rider), reportBody(map[string]any{"community": community}))
		if r.Status != 422 || r.Field() != "community" {
			t.Fatalf("report to %s: %d %s", community, r.Status, r.Raw)
		}
	}
	h.submit(h.Worker(rider), reportBody(map[string]any{"community": "changsheng"})) // a neighbour's: fine
	for table, want := range map[string]int{"activities": 0, "needs": 0, "resources": 0, "reports": 1} {
		if n := h.count("SELECT count(*) FROM " + table); n != want {
			t.Errorf("%d %s written, want %d", n, table, want)
		}
	}
}
