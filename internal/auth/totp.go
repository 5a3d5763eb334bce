package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"rsc.io/qr"
)

// TOTP follows RFC 6238 with the parameters every authenticator app understands:
// HMAC-SHA1, six digits, 30-second steps. A code from the step before or after is accepted
// for clock drift; the caller stores the last accepted step so that no code works twice.
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret.
func NewTOTPSecret() []byte {
	s := make([]byte, 20)
	rand.Read(s)
	return s
}

// EncodeSecret returns the secret as the base32 text people type into an app.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// TOTPStep returns the time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// TOTPCode returns the code for a time step.
func TOTPCode(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// CheckTOTP returns the step a code belongs to, if it matches a step near now.
func CheckTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	code = normalizeCode(code)
	if len(code) != totpDigits {
		return 0, false
	}
	step := TOTPStep(now)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		if hmac.Equal([]byte(TOTPCode(secret, step+d)), []byte(code)) {
			return step + d, true
		}
	}
	return 0, false
}

// TOTPURI is the otpauth:// URI an authenticator app reads from the QR code.
func TOTPURI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", EncodeSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// QRCodePNG renders text as a QR code image.
func QRCodePNG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	code.Scale = 6
	var buf bytes.Buffer
	if err := png.Encode(&buf, code.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// normalizeCode drops spaces and hyphens people type, and turns full-width digits into
// ASCII (a Japanese input method often produces them).
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r >= 'ａ' && r <= 'ｚ':
			b.WriteRune('a' + (r - 'ａ'))
		case r >= 'Ａ' && r <= 'Ｚ':
			b.WriteRune('a' + (r - 'Ａ'))
		}
	}
	return b.String()
}

// Recovery codes: ten single-use codes of ten base32 characters (50 bits each), shown
// once and stored hashed. Their entropy is high enough that a plain SHA-256 is the right
// hash; a slow hash would only slow down sign-in.
const recoveryCodeCount = 10

var recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCodes returns fresh codes formatted xxxxx-xxxxx.
func NewRecoveryCodes() []string {
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		s := randomString(recoveryAlphabet, 10)
		codes[i] = s[:5] + "-" + s[5:]
	}
	return codes
}

// randomString draws n characters uniformly from alphabet (rejection sampling, no bias).
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// HashRecoveryCode returns the stored form of a recovery code as typed.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(normalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// DecodeSecret parses the base32 text of a secret, as shown to people.
func DecodeSecret(s string) ([]byte, error) {
	return b32.DecodeString(strings.ToUpper(strings.ReplaceAll(s, " ", "")))
}
