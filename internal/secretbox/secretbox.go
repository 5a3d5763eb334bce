// Package secretbox seals small secrets kept in the database (TOTP seeds, later webhook
// keys) with AES-256-GCM under a key kept outside the database, so that a copy of the
// database alone does not give them away.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

const prefix = "v1:"

// Box seals and opens secrets with one key.
type Box struct{ aead cipher.AEAD }

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain; purpose binds the ciphertext to its use (for example "totp:42"),
// so that a sealed value copied to another row does not open.
func (b *Box) Seal(plain []byte, purpose string) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, plain, []byte(purpose))
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a sealed value made for the same purpose.
func (b *Box) Open(sealed, purpose string) ([]byte, error) {
	if !strings.HasPrefix(sealed, prefix) {
		return nil, errors.New("sealed value has an unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, errors.New("sealed value is corrupt")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return nil, errors.New("sealed value does not open with this key (was RENKEI_SECRET_KEY changed?)")
	}
	return plain, nil
}

// ParseKey decodes a base64 key as given in RENKEI_SECRET_KEY.
func ParseKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("secret key is not base64: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes; want %d (generate one with: head -c 32 /dev/urandom | base64)", len(k), KeySize)
	}
	return k, nil
}

// LoadOrCreateKeyFile reads a base64 key from path, creating the file with a new random
// key (mode 0600) when it does not exist.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	text := base64.StdEncoding.EncodeToString(key) + "\n"
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// The key is written to a temporary file (mode 0600) and linked into place, so that the
	// file appears with the whole key in it or not at all: a process starting at the same
	// time never reads it empty or half-written.
	tmp, err := os.CreateTemp(dir, ".secret.key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(text)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, os.ErrExist): // another process made it first
		return LoadOrCreateKeyFile(path)
	}
	// A file system without hard links: create the file exclusively instead.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		return nil, err
	}
	return key, f.Sync()
}
