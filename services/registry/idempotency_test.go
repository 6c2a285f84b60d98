package registry_test

import "testing"

func TestIdempotencyKey_repeatReplaysFirstAnswerAndWritesOnce(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.staff("qishan", "tashan")
	key := map[string]string{"Idempotency-Key": "station-tashan-1"}
	body := station("塔山暖新驿站", 37.53, 121.40, []string{"water"}, allDay)

	first := h.doWith("POST", "/v1/stations", staff, body, key)
	again := h.doWith("POST", "/v1/stations", staff, body, key)
	if first.Status != 201 || again.Status != 201 || again.str("id") != first.str("id") {
		t.Fatalf("first %d %s, again %d %s", first.Status, first.str("id"), again.Status, again.str("id"))
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay not marked")
	}
	if n := h.count("stations"); n != 1 {
		t.Errorf("stations = %d, want 1", n)
	}

	// The same key with another body is a client mistake, not a replay.
	other := station("另一个驿站", 37.54, 121.41, []string{"water"}, allDay)
	if r := h.doWith("POST", "/v1/stations", staff, other, key); r.Status != 422 || r.field() != "Idempotency-Key" {
		t.Errorf("reused key: %d %s", r.Status, r.Raw)
	}
	// Keys belong to the caller: another clerk's same key is a new request.
	if r := h.doWith("POST", "/v1/stations", h.streetAdmin("qishan"), body, key); r.Status != 201 || r.str("id") == first.str("id") {
		t.Errorf("other caller: %d %s", r.Status, r.Raw)
	}
	if n := len(ofType(h.settled(), "nuanxin.registry.station.opened")); n != 2 {
		t.Errorf("station.opened events = %d, want 2", n)
	}
}
