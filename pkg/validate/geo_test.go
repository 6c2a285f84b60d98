package validate

import (
	"math"
	"testing"
)

func TestLatLng_checksRangesAndMissingFix(t *testing.T) {
	tests := []struct {
		name     string
		lat, lng float64
		code     string
	}{
		{"Beijing", 39.9042, 116.4074, ""},
		{"south-west extremes", -90, -180, ""},
		{"north-east extremes", 90, 180, ""},
		{"equator off Null Island", 0, 116.4, ""},
		{"prime meridian off Null Island", 39.9, 0, ""},
		{"no fix", 0, 0, CodeRequired},
		{"negative zero is still no fix", math.Copysign(0, -1), 0, CodeRequired},
		{"latitude above 90", 90.0001, 116.4, CodeOutOfRange},
		{"latitude below -90", -91, 116.4, CodeOutOfRange},
		{"longitude above 180", 39.9, 180.5, CodeOutOfRange},
		{"longitude below -180", 39.9, -181, CodeOutOfRange},
		{"latitude NaN", math.NaN(), 116.4, CodeInvalidFormat},
		{"longitude +Inf", 39.9, math.Inf(1), CodeInvalidFormat},
		{"longitude -Inf", 39.9, math.Inf(-1), CodeInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LatLng(tt.lat, tt.lng)
			if code := codeOf(t, err); code != tt.code {
				t.Errorf("LatLng(%v, %v) code = %q (err %v), want %q", tt.lat, tt.lng, code, err, tt.code)
			}
		})
	}
}
