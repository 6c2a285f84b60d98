package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Argon2id parameters: OWASP's minimum for argon2id (19 MiB, 2 passes, one
// lane), which takes about 20 ms on this project's 2-core machine (make
// bench, BenchmarkHashPassword): a sign-in costs one hash, and more memory
// per hash would let a burst of sign-ins take the service's memory.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword hashes a password with a fresh salt, as a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so the parameters travel with it.
func hashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash is a stored hash that is not one of ours.
var errBadHash = errors.New("not an argon2id hash")

// checkPassword reports whether password matches the PHC hash, comparing
// in constant time, with the parameters the hash was made with.
func checkPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when there is no account of the name, so
// that an unknown name takes as long as a wrong password.
var dummyHash = func() string {
	h, err := hashPassword("no account has this password")
	if err != nil {
		return "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	}
	return h
}()

// Password policy: long enough to resist guessing, short enough to type;
// not one of the passwords every attacker tries first.
const (
	minPasswordRunes = 10
	maxPasswordBytes = 128
)

// commonPasswords are refused whatever their length: the lists attackers
// try first (and their Chinese-keyboard favourites), lower-cased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(`123456789 1234567890 12345678910 0123456789 9876543210 1111111111 0000000000
		1q2w3e4r5t 1qaz2wsx3edc qwertyuiop qwerty123456 qwerty1234 asdfghjkl zxcvbnm123 password123 password1234
		passw0rd123 p@ssw0rd123 iloveyou123 admin12345 admin123456 administrator abc1234567 abcdefghij a1234567890
		woaini1314 woaini520 5201314520 1314520520 aa123456789 qq123456789 zhang123456 wang123456 li1234567890
		welcome123 letmein123 changeme123 nuanxin123 nuanxin2026 88888888888 66666666666 147258369 1472583690
		123qweasdzxc qweasdzxc123 123456abcde abcde123456 football123 sunshine123 princess123 dragon1234 monkey12345`) {
		m[p] = true
	}
	return m
}()

// checkNewPassword adds a field error to c when password may not be used
// by username.
func checkNewPassword(c *validate.Collector, field, username, password string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		c.Add(field, validate.CodeRequired, "a password is required")
	case n < minPasswordRunes:
		c.Add(field, validate.CodeTooShort, fmt.Sprintf("at least %d characters", minPasswordRunes))
	case len(password) > maxPasswordBytes:
		c.Add(field, validate.CodeTooLong, fmt.Sprintf("at most %d bytes", maxPasswordBytes))
	case !utf8.ValidString(password) || strings.ContainsFunc(password, unicode.IsControl):
		c.Add(field, validate.CodeInvalidFormat, "letters, digits, spaces and punctuation only")
	case commonPasswords[strings.ToLower(password)] || oneCharacter(password):
		c.Add(field, "common_password", "this password is among the first any attacker tries; choose another")
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		c.Add(field, "contains_username", "the password must not contain the account's name")
	}
}

// oneCharacter reports whether s repeats one character (aaaaaaaaaa).
func oneCharacter(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

// newInitialPassword is a random password an admin hands over, to be
// changed at the first sign-in: 16 characters of an alphabet without the
// ones people mistake for each other (0/O, 1/l/I).
func newInitialPassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	out := make([]byte, 0, 16)
	buf := make([]byte, 32)
	for len(out) < cap(out) {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("initial password: %w", err)
		}
		for _, x := range buf {
			// Only bytes below a multiple of the alphabet's size, so
			// every character is as likely.
			if int(x) < 256/len(alphabet)*len(alphabet) && len(out) < cap(out) {
				out = append(out, alphabet[int(x)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
