package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// TestCheckStatusStep_allowsOnlyThePipelinesStepsForEveryPair walks every
// (from, to) pair of political statuses: the legal steps are listed here,
// every other pair must be refused on field "to".
func TestCheckStatusStep_allowsOnlyThePipelinesStepsForEveryPair(t *testing.T) {
	legal := []struct {
		from, to string
		why      string
		needNote bool
	}{
		{"masses", "applicant", "applies to join", false},
		{"league_member", "applicant", "applies to join", false},
		{"applicant", "activist", "one stage forward", false},
		{"activist", "development_target", "one stage forward", false},
		{"development_target", "probationary_member", "one stage forward", false},
		{"probationary_member", "party_member", "full membership", false},
		{"masses", "league_member", "joins the league", false},
		{"league_member", "masses", "leaves the league", false},
		{"applicant", "masses", "withdraws", true},
		{"applicant", "league_member", "withdraws", true},
		{"activist", "masses", "withdraws", true},
		{"activist", "league_member", "withdraws", true},
		{"development_target", "masses", "disqualified", true},
		{"development_target", "league_member", "disqualified", true},
		{"probationary_member", "masses", "probation cancelled", true},
		{"probationary_member", "league_member", "probation cancelled", true},
	}
	type pair struct{ from, to string }
	want := map[pair]bool{}
	needNote := map[pair]bool{}
	for _, l := range legal {
		want[pair{l.from, l.to}] = true
		needNote[pair{l.from, l.to}] = l.needNote
	}

	checked := 0
	for _, from := range PoliticalStatuses {
		for _, to := range PoliticalStatuses {
			p := pair{from, to}
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				err := checkStatusStep(from, to)
				if got := stepNeedsNote(from, to); got != needNote[p] {
					t.Errorf("stepNeedsNote = %v, want %v", got, needNote[p])
				}
				if want[p] {
					if err != nil {
						t.Fatalf("legal step refused: %v", err)
					}
					return
				}
				assertRefusedOnTo(t, err, CodeIllegalStep)
			})
			checked++
		}
	}
	if n := len(PoliticalStatuses); checked != n*n {
		t.Errorf("checked %d pairs, want %d", checked, n*n)
	}
}

func TestCheckStatusStep_refusesMissingAndUnknownTargets(t *testing.T) {
	cases := []struct {
		name, from, to, code string
	}{
		{"missing target", "masses", "", validate.CodeRequired},
		{"unknown target", "masses", "king", validate.CodeUnknownValue},
		{"unknown target from a member", "party_member", "emperor", validate.CodeUnknownValue},
		{"unknown current status", "pirate", "applicant", CodeIllegalStep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertRefusedOnTo(t, checkStatusStep(c.from, c.to), c.code)
		})
	}
}

// assertRefusedOnTo checks that err is exactly one field error on "to" with
// the given code, and that its message names no status (they are personal
// data and messages reach logs).
func assertRefusedOnTo(t *testing.T, err error, code string) {
	t.Helper()
	var fes validate.Errors
	if !errors.As(err, &fes) {
		t.Fatalf("err = %v, want validate.Errors", err)
	}
	if len(fes) != 1 || fes[0].Field != "to" || fes[0].Code != code {
		t.Fatalf("errors = %+v, want one on field to with code %s", fes, code)
	}
	if fes[0].Message == "" || strings.Contains(fes[0].Message, "pirate") || strings.Contains(fes[0].Message, "emperor") {
		t.Errorf("message = %q", fes[0].Message)
	}
}
