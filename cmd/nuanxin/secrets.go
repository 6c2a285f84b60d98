package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/nuanxin/nuanxin/pkg/pii"
)

// piiKeys are the keys services use to protect personal data, standard
// base64 as in the PII_ENC_KEY, PII_HASH_KEY and MOBILE_MATCH_KEY
// environment variables.
type piiKeys struct {
	Enc   string
	Hash  string
	Match string // the registry's and identity's shared mobile match key
}

// loadOrCreatePIIKeys reads the keys from path (lines PII_ENC_KEY=...,
// PII_HASH_KEY=... and MOBILE_MATCH_KEY=...), creating the file with fresh
// random keys on first use, and adding a mobile match key to a file of an
// earlier version that has none. The keys must outlive restarts: data
// encrypted under a lost key is gone.
func loadOrCreatePIIKeys(path string) (piiKeys, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		keys, err := parsePIIKeys(b)
		if err != nil {
			return piiKeys{}, fmt.Errorf("read PII keys from %s: %w", path, err)
		}
		if keys.Match == "" {
			keys.Match = randomKey()
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return piiKeys{}, fmt.Errorf("add the mobile match key: %w", err)
			}
			_, err = fmt.Fprintf(f, "MOBILE_MATCH_KEY=%s\n", keys.Match)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return piiKeys{}, fmt.Errorf("add the mobile match key: %w", err)
			}
		}
		return keys, nil
	case !errors.Is(err, fs.ErrNotExist):
		return piiKeys{}, fmt.Errorf("read PII keys: %w", err)
	}

	keys := piiKeys{Enc: randomKey(), Hash: randomKey(), Match: randomKey()}
	content := fmt.Sprintf("PII_ENC_KEY=%s\nPII_HASH_KEY=%s\nMOBILE_MATCH_KEY=%s\n", keys.Enc, keys.Hash, keys.Match)
	// O_EXCL: never overwrite keys another run has just written.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return piiKeys{}, fmt.Errorf("create PII key file: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return piiKeys{}, fmt.Errorf("write PII key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return piiKeys{}, fmt.Errorf("write PII key file: %w", err)
	}
	return keys, nil
}

// parsePIIKeys reads the KEY=value lines of a PII key file and checks that
// both keys are usable.
func parsePIIKeys(b []byte) (piiKeys, error) {
	var keys piiKeys
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, value, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch name {
		case "PII_ENC_KEY":
			keys.Enc = value
		case "PII_HASH_KEY":
			keys.Hash = value
		case "MOBILE_MATCH_KEY":
			keys.Match = value
		}
	}
	if keys.Enc == "" || keys.Hash == "" {
		return piiKeys{}, errors.New("need both PII_ENC_KEY and PII_HASH_KEY lines")
	}
	if _, err := pii.NewBoxFromBase64(keys.Enc, keys.Hash); err != nil {
		return piiKeys{}, err
	}
	if keys.Match != "" {
		if _, err := pii.NewMobileMatchFromBase64(keys.Match); err != nil {
			return piiKeys{}, err
		}
	}
	return keys, nil
}

// randomKey returns pii.KeySize random bytes in standard base64.
func randomKey() string {
	b := make([]byte, pii.KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return base64.StdEncoding.EncodeToString(b)
}
