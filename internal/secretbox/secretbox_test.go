package secretbox_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/renkei-dev/renkei/internal/secretbox"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, secretbox.KeySize)
	rand.Read(k)
	return k
}

func newBox(t *testing.T, key []byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	b := newBox(t, newKey(t))
	for _, plain := range [][]byte{[]byte("JBSWY3DPEHPK3PXP"), {}, bytes.Repeat([]byte{0, 255}, 500)} {
		sealed := b.Seal(plain, "totp:42")
		if !strings.HasPrefix(sealed, "v1:") {
			t.Fatalf("sealed value %q has no version", sealed)
		}
		if bytes.Contains([]byte(sealed), plain) && len(plain) > 0 {
			t.Fatal("the plain text shows in the sealed value")
		}
		got, err := b.Open(sealed, "totp:42")
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
}

func TestSealingTwiceGivesDifferentValues(t *testing.T) {
	b := newBox(t, newKey(t))
	first, second := b.Seal([]byte("same"), "p"), b.Seal([]byte("same"), "p")
	if first == second {
		t.Fatal("the nonce is not random")
	}
}

func TestWrongPurposeDoesNotOpen(t *testing.T) {
	b := newBox(t, newKey(t))
	sealed := b.Seal([]byte("seed of user 42"), "totp:42")
	for _, p := range []string{"totp:43", "totp:4", "", "TOTP:42"} {
		if got, err := b.Open(sealed, p); err == nil {
			t.Errorf("opened for purpose %q: %q", p, got)
		}
	}
}

func TestWrongKeyDoesNotOpenAndSaysSo(t *testing.T) {
	sealed := newBox(t, newKey(t)).Seal([]byte("x"), "p")
	_, err := newBox(t, newKey(t)).Open(sealed, "p")
	if err == nil || !strings.Contains(err.Error(), "RENKEI_SECRET_KEY") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestTamperedValuesDoNotOpen(t *testing.T) {
	b := newBox(t, newKey(t))
	sealed := b.Seal([]byte("secret seed"), "p")
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		c := bytes.Clone(raw)
		c[i] ^= 0x01
		if _, err := b.Open("v1:"+base64.RawStdEncoding.EncodeToString(c), "p"); err == nil {
			t.Fatalf("a flipped bit at byte %d went unnoticed", i)
		}
	}
	for name, v := range map[string]string{
		"truncated":            sealed[:len(sealed)-4],
		"no prefix":            strings.TrimPrefix(sealed, "v1:"),
		"other version":        "v2:" + strings.TrimPrefix(sealed, "v1:"),
		"not base64":           "v1:***",
		"shorter than a nonce": "v1:" + base64.RawStdEncoding.EncodeToString([]byte("short")),
		"empty":                "",
		"appended":             sealed + "AAAA",
	} {
		if _, err := b.Open(v, "p"); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestNewRequiresA32ByteKey(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := secretbox.New(make([]byte, n)); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	k := newKey(t)
	text := base64.StdEncoding.EncodeToString(k)
	for _, s := range []string{text, "  " + text + "\n"} {
		got, err := secretbox.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	if _, err := secretbox.ParseKey("not base64!"); err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Errorf("bad base64: %v", err)
	}
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	if _, err := secretbox.ParseKey(short); err == nil || !strings.Contains(err.Error(), "16 bytes; want 32") {
		t.Errorf("short key: %v", err)
	}
	if _, err := secretbox.ParseKey(base64.RawURLEncoding.EncodeToString(k)); err == nil {
		t.Error("URL-safe unpadded base64 accepted as standard base64")
	}
}

func TestKeyFileIsCreatedPrivateAndReadBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "secret.key")
	k1, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || len(k1) != secretbox.KeySize {
		t.Fatalf("create: %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", dst.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if parsed, err := secretbox.ParseKey(string(text)); err != nil || !bytes.Equal(parsed, k1) {
		t.Fatalf("the file does not hold the key: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind in the directory: %v", entries)
	}
	k2, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key: %v", err)
	}
	// A value sealed with the first load opens with a box of the second.
	sealed := newBox(t, k1).Seal([]byte("seed"), "totp:1")
	if _, err := newBox(t, k2).Open(sealed, "totp:1"); err != nil {
		t.Fatal(err)
	}
}

func TestKeyFileGivenByTheOperatorIsUsedAsIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k := newKey(t)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\r\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("%v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("an existing file's mode was changed to %v", st.Mode().Perm())
	}
}

func TestBadKeyFileIsAnErrorNotReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := secretbox.LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Fatal("a corrupt key file was overwritten: the sealed secrets would be lost")
	}
	// A directory where the file should be is an error too.
	dir := filepath.Join(t.TempDir(), "secret.key")
	os.Mkdir(dir, 0o700)
	if _, err := secretbox.LoadOrCreateKeyFile(dir); err == nil {
		t.Fatal("a directory was read as a key")
	}
}

func TestConcurrentFirstStartsAgreeOnOneKey(t *testing.T) {
	// Two processes starting on a fresh data directory (say the server and a command) race
	// to create the key file; both must end up with the key that is in the file.
	for round := 0; round < 50; round++ {
		path := filepath.Join(t.TempDir(), "secret.key")
		const n = 8
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				keys[i], errs[i] = secretbox.LoadOrCreateKeyFile(path)
			}()
		}
		close(start)
		wg.Wait()
		onDisk, err := secretbox.LoadOrCreateKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], onDisk) {
				t.Fatalf("round %d, caller %d got a key that is not the one in the file", round, i)
			}
		}
	}
}
