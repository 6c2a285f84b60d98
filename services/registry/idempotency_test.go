package registry_test

import "testing"

func TestIdempotencyKey_repeatReplaysFirstAnswerAndWritesOnce(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	key := []string{"Idempotency-Key", "station-tashan-1"}
	body := station("塔山暖新驿站", 37.53, 121.40, []string{"water"}, allDay)

	first := h.Do("POST", "/v1/stations", staff, body, key...)
	again := h.Do("POST", "/v1/stations", staff, body, key...)
	if first.Status != 201 || again.Status != 201 || again.Str("id") != first.Str("id") {
		t.Fatalf("first %d %s, again %d %s", first.Status, first.Str("id"), again.Status, again.Str("id"))
	}
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay not marked")
	}
	if n := h.count("stations"); n != 1 {
		t.Errorf("stations = %d, want 1", n)
	}

	// The same key with another body is a client mistake, not a replay.
	other := station("另一个驿站", 37.54, 121.41, []string{"water"}, allDay)
	if r := h.Do("POST", "/v1/stations", staff, other, key...); r.Status != 422 || r.Field() != "Idempotency-Key" {
		t.Errorf("reused key: %d %s", r.Status, r.Raw)
	}
	// Keys belong to the caller: another clerk's same key is a new request.
	if r := h.Do("POST", "/v1/stations", h.StreetAdmin("qishan"), body, key...); r.Status != 201 || r.Str("id") == first.Str("id") {
		t.Errorf("other caller: %d %s", r.Status, r.Raw)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.station.opened")); n != 2 {
		t.Errorf("station.opened events = %d, want 2", n)
	}
}
