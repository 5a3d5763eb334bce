// Package testapp builds a complete Renkei app for tests: a fresh database (see testdb),
// cheap password hashing, a clock the test moves, helpers that create organizations and
// people through the services, and a real HTTP server on 127.0.0.1.
package testapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/server"
	"github.com/renkei-dev/renkei/internal/store"
)

// Password is the password of every person made by Person.
const Password = "correct horse battery staple"

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Env is an app under test.
type Env struct {
	*app.App
	Clock *Clock
	T     testing.TB
}

// Config returns settings suited to tests: fast hashing, a random secret key.
func Config(t testing.TB) config.Config {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	key := make([]byte, 32)
	rand.Read(key)
	cfg.SecretKey = base64.StdEncoding.EncodeToString(key)
	cfg.HashMemoryMiB, cfg.HashTime, cfg.HashThreads, cfg.HashParallel = 8, 1, 1, 4
	cfg.BaseURL = "http://renkei.test"
	return cfg
}

// New builds the app on db with a clock starting at a fixed time (2026-07-24 09:00 JST).
func New(t testing.TB, db *store.DB) *Env {
	return NewWith(t, db, Config(t))
}

// NewWith builds the app with the given settings.
func NewWith(t testing.TB, db *store.DB, cfg config.Config) *Env {
	t.Helper()
	clock := &Clock{t: time.Date(2026, 7, 24, 0, 0, 0, 0, time.UTC)}
	a, err := app.New(db, cfg, nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{App: a, Clock: clock, T: t}
}

// Ctx is the context tests use.
func Ctx() context.Context { return context.Background() }

// Org creates an organization.
func (e *Env) Org(nameJA string, kind model.OrgKind) model.Org {
	e.T.Helper()
	o, err := e.Directory.CreateOrg(Ctx(), auth.System(), directory.OrgInput{NameJA: nameJA, NameEN: nameJA + " (en)", Kind: string(kind)})
	if err != nil {
		e.T.Fatal(err)
	}
	return o
}

// Person creates a person with the given role and the password Password.
func (e *Env) Person(org model.Org, email string, role model.Role) model.User {
	e.T.Helper()
	u, err := e.Directory.CreateUser(Ctx(), auth.System(), directory.UserInput{OrgID: org.ID, Email: email,
		DisplayName: strings.Split(email, "@")[0], Role: string(role)})
	if err != nil {
		e.T.Fatal(err)
	}
	if err := e.Auth.SetInitialPassword(Ctx(), u.ID, Password); err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Principal loads a person's principal as a signed-in request would.
func (e *Env) Principal(u model.User) auth.Principal {
	e.T.Helper()
	p, err := e.Auth.Principal(Ctx(), u.ID)
	if err != nil {
		e.T.Fatal(err)
	}
	return p
}

// Token creates an API token for a person.
func (e *Env) Token(u model.User) string {
	e.T.Helper()
	secret, _, err := e.Auth.CreateToken(Ctx(), auth.System(), u.ID, "test")
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}

// EnrolTOTP turns on a person's second factor and returns its secret.
func (e *Env) EnrolTOTP(u model.User) []byte {
	e.T.Helper()
	p := e.Principal(u)
	_, text, err := e.Auth.BeginTOTP(Ctx(), p)
	if err != nil {
		e.T.Fatal(err)
	}
	secret, err := base64Secret(text)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, _, err := e.Auth.ConfirmTOTP(Ctx(), p, auth.TOTPCode(secret, auth.TOTPStep(e.Clock.Now())), auth.Client{}); err != nil {
		e.T.Fatal(err)
	}
	e.Clock.Advance(31 * time.Second) // the code just used may not be replayed
	return secret
}

// Code returns the current TOTP code for a secret.
func (e *Env) Code(secret []byte) string { return auth.TOTPCode(secret, auth.TOTPStep(e.Clock.Now())) }

// Server starts the whole site on 127.0.0.1 and returns its base URL.
func (e *Env) Server() string {
	e.T.Helper()
	h, err := server.Handler(e.App)
	if err != nil {
		e.T.Fatal(err)
	}
	srv := httptest.NewServer(h)
	ctx, stop := context.WithCancel(context.Background())
	go e.Live.Run(ctx)
	e.T.Cleanup(func() {
		stop()
		srv.Close()
	})
	return srv.URL
}

func base64Secret(text string) ([]byte, error) { return auth.DecodeSecret(text) }
