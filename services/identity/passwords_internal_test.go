package identity

import (
	"testing"
)

// A hash checks against its password and no other, and carries its
// parameters, so a later change of them still checks old hashes.
func TestPasswordHash_checksItsPasswordOnly(t *testing.T) {
	h, err := hashPassword("Warm-district-head-42")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		password string
		want     bool
	}{{"Warm-district-head-42", true}, {"warm-district-head-42", false}, {"", false}} {
		if ok, err := checkPassword(h, c.password); err != nil || ok != c.want {
			t.Errorf("check %q: %v %v, want %v", c.password, ok, err, c.want)
		}
	}
	if h2, _ := hashPassword("Warm-district-head-42"); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	if _, err := checkPassword("$bcrypt$x", "a"); err == nil {
		t.Error("a hash of another kind was taken")
	}
}

// The time one sign-in spends hashing, which sets how many sign-ins a
// second an instance can check (docs/benchmarks.md).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("Warm-district-head-42"); err != nil {
			b.Fatal(err)
		}
	}
}
