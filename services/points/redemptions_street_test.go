package points_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

// GET /v1/redemptions?street=CODE: the district admin keeps to one
// street's redemptions on the server; a street admin or community staff
// may name only their own street, a worker only theirs; another street, or
// one the registry never created, is 422 naming street — never another
// street's rows, never an empty list that reads as "none".
func TestRedemptions_streetFilterKeepsToOneStreetWithinScope(t *testing.T) {
	h := newHarness(t, nil)
	qw, zw := h.openAccount("qishan", "tashan"), h.openAccount("zhifu", "baishi")
	h.fund(qw, 100)
	h.fund(zw, 100)
	qItem, tItem, zItem := h.item("qishan", "", 10, 10), h.item("qishan", "tashan", 10, 10), h.item("zhifu", "", 10, 10)
	placed := h.redeem(h.Worker(qw), qItem, 1, uuid.NewString(), 201).Str("id")
	fulfilled := h.redeem(h.Worker(qw), qItem, 1, uuid.NewString(), 201).Str("id")
	h.Must(200, "POST", "/v1/redemptions/"+fulfilled+"/fulfil", h.StreetAdmin("qishan"), nil)
	community := h.redeem(h.Worker(qw), tItem, 1, uuid.NewString(), 201).Str("id")
	zhifu := h.redeem(h.Worker(zw), zItem, 1, uuid.NewString(), 201).Str("id")

	tests := []struct {
		name, token, query string
		want               []string // newest first
	}{
		{"the district, one street", h.District(), "street=qishan", []string{community, fulfilled, placed}},
		{"the district, one street's placed", h.District(), "street=qishan&status=placed", []string{community, placed}},
		{"the district, another street", h.District(), "street=zhifu", []string{zhifu}},
		{"the district, every street", h.District(), "", []string{zhifu, community, fulfilled, placed}},
		{"a street admin naming their own", h.StreetAdmin("qishan"), "street=qishan", []string{community, fulfilled, placed}},
		{"a street admin without a street", h.StreetAdmin("qishan"), "", []string{community, fulfilled, placed}},
		{"community staff naming their street", h.Staff("qishan", "tashan"), "street=qishan", []string{community}},
		{"a worker naming their own", h.Worker(qw), "street=qishan&status=placed", []string{community, placed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for after := ""; ; {
				q := "?limit=1&" + tc.query
				if after != "" {
					q += "&after=" + after
				}
				r := h.Must(200, "GET", "/v1/redemptions"+q, tc.token, nil)
				for _, it := range r.Items() {
					got = append(got, it.(map[string]any)["id"].(string))
				}
				if after = r.Str("next"); after == "" {
					break
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	for _, tc := range []struct{ name, token, query string }{
		{"a street admin naming another", h.StreetAdmin("qishan"), "street=zhifu"},
		{"community staff naming another", h.Staff("qishan", "tashan"), "street=zhifu"},
		{"a worker naming another", h.Worker(qw), "street=zhifu"},
		{"a street the registry never created", h.District(), "street=atlantis"},
		{"not a code", h.District(), "street=%00"},
		{"given twice", h.District(), "street=qishan&street=zhifu"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if r := h.Do("GET", "/v1/redemptions?"+tc.query, tc.token, nil); r.Status != 422 || r.Field() != "street" {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
}
