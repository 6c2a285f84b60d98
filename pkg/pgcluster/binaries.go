package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// installHint tells a person what to do when the server binaries are missing.
const installHint = "Install them with `apt-get install postgresql-15` or set DATABASE_URL to an existing server."

// ErrNoBinaries is returned (wrapped) by Start when no initdb/postgres
// binaries can be found. Test for it with errors.Is.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found. " + installHint)

// noBinariesError is ErrNoBinaries plus the places that were searched, so the
// message tells the reader exactly where we looked.
type noBinariesError struct {
	looked []string
}

func (e *noBinariesError) Error() string {
	return fmt.Sprintf("PostgreSQL server binaries not found (looked in %s). %s",
		strings.Join(e.looked, ", "), installHint)
}

func (e *noBinariesError) Unwrap() error { return ErrNoBinaries }

// binaries holds the absolute paths of the two server programs we run.
type binaries struct {
	initdb   string
	postgres string
}

// findBinaries locates initdb and postgres. An explicit binDir (or PG_BIN) is
// used as given, without falling back, so a typo is reported rather than
// silently replaced by another installation.
func findBinaries(binDir string) (binaries, error) {
	var looked []string
	try := func(dir string) (binaries, bool) {
		looked = append(looked, dir)
		b := binaries{
			initdb:   filepath.Join(dir, "initdb"),
			postgres: filepath.Join(dir, "postgres"),
		}
		return b, isExecutable(b.initdb) && isExecutable(b.postgres)
	}

	explicit := binDir
	if explicit == "" {
		explicit = os.Getenv("PG_BIN")
	}
	if explicit != "" {
		if b, ok := try(explicit); ok {
			return b, nil
		}
		return binaries{}, &noBinariesError{looked: looked}
	}

	// Debian and Ubuntu install each major version side by side; prefer the newest.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if b, ok := try(dir); ok {
			return b, nil
		}
	}
	if len(dirs) == 0 {
		looked = append(looked, "/usr/lib/postgresql/*/bin")
	}

	if p, err := exec.LookPath("initdb"); err == nil {
		if b, ok := try(filepath.Dir(p)); ok {
			return b, nil
		}
	} else {
		looked = append(looked, "$PATH")
	}
	return binaries{}, &noBinariesError{looked: looked}
}

// versionOf turns /usr/lib/postgresql/15/bin (or .../9.6/bin) into a number
// that sorts by PostgreSQL version; unparsable names sort last.
func versionOf(binDir string) float64 {
	name := filepath.Base(filepath.Dir(binDir))
	major, minor, _ := strings.Cut(name, ".")
	m, err := strconv.Atoi(major)
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(minor)
	return float64(m) + float64(n)/100
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
