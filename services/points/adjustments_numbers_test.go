package points_test

import (
	"testing"
)

// TestAdjustments_pointsMustBeAWholeNumber: a clerk typing 1.5 or 1e20
// points is told in words what is wrong, with every field at fault named
// at once, and nothing is written.
func TestAdjustments_pointsMustBeAWholeNumber(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	before := h.count("SELECT count(*) FROM entries")
	type fieldError struct{ field, code, message string }
	for _, tc := range []struct {
		name, body string
		want       []fieldError
	}{
		{"a fraction", `{"points":1.5,"reason":"志愿服务补录"}`,
			[]fieldError{{"points", "wrong_type", "must be a whole number of points"}}},
		{"too large", `{"points":1e20,"reason":"志愿服务补录"}`,
			[]fieldError{{"points", "out_of_range", "must be a whole number of points between -9223372036854775808 and 9223372036854775807"}}},
		{"every field at fault", `{"points":"500","reason":42}`,
			[]fieldError{{"points", "wrong_type", "must be a whole number of points, not a string"}, {"reason", "wrong_type", "must be a string, not a number"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/accounts/"+w+"/adjustments", h.District(), tc.body)
			errs, _ := r.Body["errors"].([]any)
			if r.Status != 400 || len(errs) != len(tc.want) {
				t.Fatalf("got %d %s, want 400 with %d errors", r.Status, r.Raw, len(tc.want))
			}
			for i, w := range tc.want {
				e := errs[i].(map[string]any)
				if e["field"] != w.field || e["code"] != w.code || e["message"] != w.message {
					t.Errorf("error %v, want %+v", e, w)
				}
			}
		})
	}
	if n := h.count("SELECT count(*) FROM entries"); n != before {
		t.Fatalf("%d entries written", n-before)
	}
}
