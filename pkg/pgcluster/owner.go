package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the operating-system user that initdb and postgres run as.
type account struct {
	name string
	uid  uint32
	gid  uint32
}

// serverAccount returns the account to run PostgreSQL as, or nil to run it as
// ourselves. PostgreSQL refuses to run as root, and we often are root (CI,
// containers), so then we switch to the postgres system user, else nobody.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse uid of user %s: %w", name, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse gid of user %s: %w", name, err)
		}
		return &account{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("PostgreSQL refuses to run as root and there is no postgres or nobody user to run it as: " +
		"create one (useradd --system postgres) or run as a normal user")
}

// credential is what exec.Cmd needs to start a process as a; nil means "as ourselves".
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	// No supplementary groups: the server needs only its own uid and gid.
	return &syscall.Credential{Uid: a.uid, Gid: a.gid}
}

// checkTraversable makes sure a can reach dir: every parent directory must be
// searchable (x permission) by it. Without this, postgres fails later with a
// puzzling "permission denied" in its log; the usual culprit is /root (0700).
func checkTraversable(dir string, a *account) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if err := checkEnterable(p, dir, a); err != nil {
			return err
		}
		if p == filepath.Dir(p) { // reached "/"
			return nil
		}
	}
}

// checkEnterable checks that a may enter the directory p, a parent of dir.
// A p that does not exist yet passes: Start creates it with mode 0755.
func checkEnterable(p, dir string, a *account) error {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check access to %s: %w", p, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("check access to %s: no ownership information", p)
	}
	perm := fi.Mode().Perm()
	var canEnter bool
	switch {
	case st.Uid == a.uid:
		canEnter = perm&0o100 != 0
	case st.Gid == a.gid:
		canEnter = perm&0o010 != 0
	default:
		canEnter = perm&0o001 != 0
	}
	if !canEnter {
		return fmt.Errorf("PostgreSQL runs as user %q, which cannot enter %s (mode %v, owner uid %d), a parent of the data directory %s: "+
			"use a data directory outside it (e.g. under /tmp or the project directory rather than /root), or run `chmod o+x %s`",
			a.name, p, perm, st.Uid, dir, p)
	}
	return nil
}

// chownTree gives dir and everything in it to a, so that a data directory
// created (or last used) by another user can be used by the server account.
func chownTree(dir string, a *account) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, int(a.uid), int(a.gid)); err != nil {
			return fmt.Errorf("chown %s to %s: %w", path, a.name, err)
		}
		return nil
	})
}
