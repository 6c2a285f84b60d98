package validate

import (
	"fmt"
	"math"
)

// LatLng checks a WGS-84 coordinate pair: latitude in [-90, 90], longitude
// in [-180, 180], both finite numbers.
//
// It also rejects exactly (0, 0): that point lies in the Atlantic Ocean, and
// a rider's phone sends it when it has no location fix, so it means
// "missing", not a real position. The error is a *ValueError and reports
// the first problem found.
func LatLng(lat, lng float64) error {
	if err := checkLat(lat); err != nil {
		return err
	}
	if err := checkLng(lng); err != nil {
		return err
	}
	if isNullIsland(lat, lng) {
		return errMissingCoordinates()
	}
	return nil
}

// checkLat checks a latitude on its own.
func checkLat(lat float64) *ValueError {
	return checkCoordinate("latitude", lat, 90)
}

// checkLng checks a longitude on its own.
func checkLng(lng float64) *ValueError {
	return checkCoordinate("longitude", lng, 180)
}

// checkCoordinate checks that v is a finite number in [-limit, limit].
func checkCoordinate(name string, v, limit float64) *ValueError {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(CodeInvalidFormat, name+" must be a finite number")
	}
	if v < -limit || v > limit {
		return invalid(CodeOutOfRange, fmt.Sprintf("%s must be between %g and %g", name, -limit, limit))
	}
	return nil
}

// isNullIsland reports whether the pair is exactly (0, 0).
func isNullIsland(lat, lng float64) bool {
	return lat == 0 && lng == 0
}

// errMissingCoordinates is the error for a (0, 0) pair. It is a function,
// not a shared variable, so no caller can modify it for everyone.
func errMissingCoordinates() *ValueError {
	return invalid(CodeRequired, "coordinates are missing: (0, 0) means the device had no location fix")
}
