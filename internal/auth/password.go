package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/renkei-dev/renkei/internal/fault"
)

// HashParams are the argon2id cost parameters.
type HashParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultHashParams follow RFC 9106's second recommended option in memory (64 MiB) with
// two passes and two lanes, which signs a person in within about a tenth of a second on a
// two-core machine.
var DefaultHashParams = HashParams{MemoryKiB: 64 * 1024, Time: 2, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen and MaxPasswordLen bound a new password, in characters.
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// ErrBusy means too many hashes are already waiting: the caller should retry shortly.
var ErrBusy = errors.New("password hashing is saturated")

// Hasher hashes and checks passwords with argon2id while bounding how many hashes run at
// once (each holds MemoryKiB of memory) and how many may wait, so that a burst of sign-ins
// cannot exhaust memory or pile up without end.
type Hasher struct {
	params   HashParams
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
	dummy    string
}

// NewHasher returns a hasher running at most concurrent hashes with at most queue waiting.
func NewHasher(p HashParams, concurrent, queue int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	h := &Hasher{params: p, slots: make(chan struct{}, concurrent), maxQueue: int64(queue)}
	h.dummy = h.encode(make([]byte, saltLen), make([]byte, keyLen))
	return h
}

// Params returns the cost parameters.
func (h *Hasher) Params() HashParams { return h.params }

// Concurrency returns how many hashes may run at once.
func (h *Hasher) Concurrency() int { return cap(h.slots) }

// acquire waits for a hashing slot.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.waiting.Add(1) > h.maxQueue+int64(cap(h.slots)) {
		h.waiting.Add(-1)
		return ErrBusy
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		h.waiting.Add(-1)
		return ctx.Err()
	}
}

func (h *Hasher) release() {
	<-h.slots
	h.waiting.Add(-1)
}

// Hash returns the PHC string of a new salted hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	return h.encode(salt, key), nil
}

// Verify checks password against a PHC string. An empty encoded hash (no password set, or
// no such account) still costs one hash, so that timing does not tell accounts apart.
// stale reports that the hash used other parameters and should be replaced.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, stale bool, err error) {
	real := encoded != ""
	if !real {
		encoded = h.dummy
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1 && real
	return ok, ok && p != h.params, nil
}

func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(s string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errors.New("bad argon2 parameters")
	}
	if p.MemoryKiB > 4*1024*1024 || p.Time > 100 || p.Threads == 0 {
		return p, nil, nil, errors.New("argon2 parameters out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 {
		return p, nil, nil, errors.New("bad argon2 encoding")
	}
	return p, salt, key, nil
}

// CheckPasswordRules returns a field error when a new password is unacceptable.
func CheckPasswordRules(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return fault.Field("password", "password.too_short", "min", MinPasswordLen)
	case n > MaxPasswordLen:
		return fault.Field("password", "password.too_long", "max", MaxPasswordLen)
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		return fault.Field("password", "password.is_email")
	case len(strings.TrimSpace(password)) == 0 || allSame(password):
		return fault.Field("password", "password.too_simple")
	}
	return nil
}

func allSame(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(r)) == ""
}
