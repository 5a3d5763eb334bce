package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var ctx = context.Background()

var client = auth.Client{IP: "192.0.2.10", UserAgent: "test"}

func member(t *testing.T, e *testapp.Env) model.User {
	return e.Person(e.Org("東都電力", model.KindOperator), "m.suzuki@toto.example", model.RoleMember)
}

func TestSignInWithPasswordOpensAFullSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		res, err := e.Auth.SignIn(ctx, "M.Suzuki@TOTO.example", testapp.Password, client)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete() || res.User.ID != u.ID {
			t.Fatalf("stage %s for user %d", res.Session.Stage, res.User.ID)
		}
		p, err := e.Auth.Session(ctx, res.Secret)
		if err != nil || p.User.ID != u.ID || p.Session.CSRF == "" {
			t.Fatalf("session lookup: %+v %v", p.User, err)
		}
		// The secret is not what is stored.
		if _, err := store.GetSession(ctx, db.Read(), res.Secret); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("session stored under its plain secret")
		}
	})
}

func TestWrongPasswordAndUnknownAccountGiveTheSameAnswer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		member(t, e)
		_, err1 := e.Auth.SignIn(ctx, "m.suzuki@toto.example", "wrong password!", client)
		_, err2 := e.Auth.SignIn(ctx, "nobody@toto.example", "wrong password!", client)
		for _, err := range []error{err1, err2} {
			if fe := fault.As(err); fe.Kind != fault.Unauthorized || fe.Key != "signin.failed" {
				t.Fatalf("got %v", err)
			}
		}
	})
}

func TestDisabledPersonCannotSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		res, err := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		if err != nil {
			t.Fatal(err)
		}
		disabled := true
		if _, err := e.Directory.UpdateUser(ctx, auth.System(), u.ID, directoryPatch(&disabled)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Auth.Session(ctx, res.Secret); !fault.Is(err, fault.Unauthorized) {
			t.Fatalf("session of a disabled person still works: %v", err)
		}
		if _, err := e.Auth.SignIn(ctx, u.Email, testapp.Password, client); fault.As(err).Key != "signin.failed" {
			t.Fatalf("disabled sign-in: %v", err)
		}
	})
}

func TestThrottleGrowsPerAccountAndDoesNotRevealAccounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		for _, email := range []string{u.Email, "ghost@toto.example"} {
			for i := 0; i < auth.AccountRule.Free; i++ {
				if _, err := e.Auth.SignIn(ctx, email, "bad", auth.Client{IP: "198.51.100.1"}); fault.As(err).Key != "signin.failed" {
					t.Fatalf("%s attempt %d: %v", email, i, err)
				}
			}
			_, err := e.Auth.SignIn(ctx, email, "bad", auth.Client{IP: "198.51.100.2"})
			fe := fault.As(err)
			if fe.Kind != fault.RateLimited || fe.Args["seconds"] != 2 {
				t.Fatalf("%s: sixth failure: %v", email, err)
			}
			// Even the right password is refused while blocked, without hashing.
			if _, err := e.Auth.SignIn(ctx, email, testapp.Password, auth.Client{IP: "198.51.100.3"}); !fault.Is(err, fault.RateLimited) {
				t.Fatalf("%s: blocked sign-in: %v", email, err)
			}
			e.Clock.Advance(3 * time.Second)
			_, err = e.Auth.SignIn(ctx, email, "bad", auth.Client{IP: "198.51.100.4"})
			if fe := fault.As(err); fe.Args["seconds"] != 4 {
				t.Fatalf("%s: the delay does not grow: %v", email, err)
			}
		}
		e.Clock.Advance(5 * time.Second)
		if _, err := e.Auth.SignIn(ctx, u.Email, testapp.Password, client); err != nil {
			t.Fatalf("after the block: %v", err)
		}
		// A success clears the account's failures.
		if _, err := e.Auth.SignIn(ctx, u.Email, "bad", client); fault.As(err).Key != "signin.failed" {
			t.Fatalf("after success the count restarts: %v", err)
		}
	})
}

func TestThrottlePerAddressCoversIPv6Slash64(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		member(t, e)
		var err error
		for i := 0; i <= auth.AddressRule.Free; i++ {
			ip := "2001:db8:1:2::" + string(rune('a'+i%6)) + "1"
			_, err = e.Auth.SignIn(ctx, "spray"+string(rune('a'+i))+"@toto.example", "bad", auth.Client{IP: ip})
		}
		if !fault.Is(err, fault.RateLimited) {
			t.Fatalf("spraying one /64: %v", err)
		}
		if _, err := e.Auth.SignIn(ctx, "m.suzuki@toto.example", testapp.Password, auth.Client{IP: "2001:db8:1:3::1"}); err != nil {
			t.Fatalf("another /64 is not blocked: %v", err)
		}
	})
}

func TestTOTPEnrolmentSignInReplayAndRecoveryCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		p := e.Principal(u)
		uri, text, err := e.Auth.BeginTOTP(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(uri, "otpauth://totp/Renkei:") || !strings.Contains(uri, "secret="+text) {
			t.Fatalf("uri %s", uri)
		}
		secret, _ := auth.DecodeSecret(text)
		if _, _, err := e.Auth.ConfirmTOTP(ctx, p, "000000", client); fault.As(err).Key != "totp.wrong_code" {
			t.Fatalf("wrong code accepted: %v", err)
		}
		codes, _, err := e.Auth.ConfirmTOTP(ctx, p, e.Code(secret), client)
		if err != nil || len(codes) != 10 {
			t.Fatalf("confirm: %d codes, %v", len(codes), err)
		}
		res, err := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		if err != nil || res.Session.Stage != model.StageTOTP {
			t.Fatalf("password step: %v %v", res.Session.Stage, err)
		}
		// The pending session opens nothing by itself... and the code used at enrolment is spent.
		if _, err := e.Auth.SecondFactor(ctx, res.Secret, e.Code(secret), client); fault.As(err).Key != "signin.failed" {
			t.Fatalf("replayed enrolment code: %v", err)
		}
		e.Clock.Advance(30 * time.Second)
		full, err := e.Auth.SecondFactor(ctx, res.Secret, e.Code(secret), client)
		if err != nil || !full.Complete() || full.Secret == res.Secret {
			t.Fatalf("second factor: %+v %v", full.Session, err)
		}
		if _, err := e.Auth.Session(ctx, res.Secret); err == nil {
			t.Fatal("the pending session survived the second factor")
		}
		// A recovery code works once, typed in any case and with the full-width digits an IME gives.
		res2, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		typed := strings.ToUpper(codes[0])
		if _, err := e.Auth.SecondFactor(ctx, res2.Secret, typed, client); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		res3, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		if _, err := e.Auth.SecondFactor(ctx, res3.Secret, codes[0], client); err == nil {
			t.Fatal("recovery code worked twice")
		}
		left, _ := e.Auth.RecoveryCodesLeft(ctx, e.Principal(u))
		if left != 9 {
			t.Fatalf("%d codes left", left)
		}
	})
}

func TestFullWidthCodeFromAJapaneseIME(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		secret := e.EnrolTOTP(u)
		res, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, e.Code(secret))
		if _, err := e.Auth.SecondFactor(ctx, res.Secret, wide[:3]+" "+wide[3:], client); err != nil {
			t.Fatalf("full-width code: %v", err)
		}
	})
}

func TestSecondFactorIsThrottledAndExpires(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		e.EnrolTOTP(u)
		res, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		var err error
		for i := 0; i <= auth.AccountRule.Free; i++ {
			_, err = e.Auth.SecondFactor(ctx, res.Secret, "123456", client)
		}
		if !fault.Is(err, fault.RateLimited) {
			t.Fatalf("guessing codes is not throttled: %v", err)
		}
		e.Clock.Advance(11 * time.Minute)
		if _, err := e.Auth.SecondFactor(ctx, res.Secret, "123456", client); fault.As(err).Key != "signin.pending_expired" {
			t.Fatalf("pending sign-in did not expire: %v", err)
		}
	})
}

func TestStaffMustEnrolBeforeAnythingElse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		center := e.Org("対処調整センター", model.KindCenter)
		for _, role := range []model.Role{model.RoleAnalyst, model.RoleCenterAdmin, model.RoleOrgAdmin} {
			u := e.Person(center, string(role)+"@ccc.example", role)
			res, err := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
			if err != nil || res.Session.Stage != model.StageEnrol {
				t.Fatalf("%s: stage %s %v", role, res.Session.Stage, err)
			}
			p, _ := e.Auth.Session(ctx, res.Secret)
			_, text, _ := e.Auth.BeginTOTP(ctx, p)
			secret, _ := auth.DecodeSecret(text)
			_, fresh, err := e.Auth.ConfirmTOTP(ctx, p, e.Code(secret), client)
			if err != nil || !fresh.Complete() || fresh.Secret == res.Secret {
				t.Fatalf("%s: enrolment did not give a full session: %v", role, err)
			}
			if err := e.Auth.DisableTOTP(ctx, e.Principal(u), testapp.Password, client); fault.As(err).Key != "totp.required" {
				t.Fatalf("%s could turn off a required second factor: %v", role, err)
			}
		}
	})
}

func TestCenterCanRequireTOTPForEveryone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		if err := e.Auth.SetRequireTOTPForAll(ctx, e.Principal(u), true, client); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("a member changed the setting: %v", err)
		}
		if err := e.Auth.SetRequireTOTPForAll(ctx, auth.System(), true, client); err != nil {
			t.Fatal(err)
		}
		res, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		if res.Session.Stage != model.StageEnrol {
			t.Fatalf("stage %s", res.Session.Stage)
		}
	})
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		res, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		cfg := e.Auth.Config()
		// Activity keeps a session alive up to its absolute limit.
		for elapsed := time.Duration(0); elapsed+cfg.SessionIdle/2 < cfg.SessionMax; elapsed += cfg.SessionIdle / 2 {
			e.Clock.Advance(cfg.SessionIdle / 2)
			if _, err := e.Auth.Session(ctx, res.Secret); err != nil {
				t.Fatalf("active session ended after %s: %v", elapsed, err)
			}
		}
		e.Clock.Advance(cfg.SessionIdle / 2)
		if _, err := e.Auth.Session(ctx, res.Secret); fault.As(err).Key != "session.expired" {
			t.Fatalf("session outlived its absolute limit: %v", err)
		}
		res2, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		e.Clock.Advance(cfg.SessionIdle)
		if _, err := e.Auth.Session(ctx, res2.Secret); fault.As(err).Key != "session.expired" {
			t.Fatalf("idle session still works: %v", err)
		}
	})
}

func TestSignOutEverywhereAndPasswordChangeEndOtherSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		a, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		b, _ := e.Auth.SignIn(ctx, u.Email, testapp.Password, client)
		pa, _ := e.Auth.Session(ctx, a.Secret)
		if err := e.Auth.ChangePassword(ctx, pa, "wrong current", "a brand new passphrase", client); fault.As(err).Field != "current_password" {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := e.Auth.ChangePassword(ctx, pa, testapp.Password, "short", client); fault.As(err).Key != "password.too_short" {
			t.Fatalf("short password: %v", err)
		}
		if err := e.Auth.ChangePassword(ctx, pa, testapp.Password, "a brand new passphrase", client); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Auth.Session(ctx, b.Secret); err == nil {
			t.Fatal("other session survived a password change")
		}
		if _, err := e.Auth.Session(ctx, a.Secret); err != nil {
			t.Fatalf("the session that changed it ended: %v", err)
		}
		n, err := e.Auth.SignOutEverywhere(ctx, pa, client)
		if err != nil || n != 1 {
			t.Fatalf("signed out %d, %v", n, err)
		}
		if _, err := e.Auth.Session(ctx, a.Secret); err == nil {
			t.Fatal("session survived sign-out everywhere")
		}
	})
}

func TestTokensAreHashedNamedLimitedAndRevocable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		u := member(t, e)
		other := e.Person(e.Org("別組織", model.KindOperator), "x@other.example", model.RoleMember)
		p := e.Principal(u)
		if _, _, err := e.Auth.CreateToken(ctx, p, other.ID, "steal"); !fault.Is(err, fault.Forbidden) {
			t.Fatalf("made a token for someone else: %v", err)
		}
		if _, _, err := e.Auth.CreateToken(ctx, p, u.ID, "  "); fault.As(err).Field != "name" {
			t.Fatalf("unnamed token: %v", err)
		}
		secret, tok, err := e.Auth.CreateToken(ctx, p, u.ID, "SIEM")
		if err != nil || !strings.HasPrefix(secret, auth.TokenPrefix) || !strings.HasPrefix(secret, tok.Prefix) {
			t.Fatalf("%q %+v %v", secret, tok, err)
		}
		if _, err := store.GetTokenByHash(ctx, db.Read(), secret); err == nil {
			t.Fatal("token stored in plain text")
		}
		tp, err := e.Auth.Token(ctx, secret, client)
		if err != nil || tp.User.ID != u.ID {
			t.Fatalf("token auth: %v", err)
		}
		ts, _ := e.Auth.Tokens(ctx, u.ID)
		if len(ts) != 1 || ts[0].LastUsedAt.IsZero() {
			t.Fatalf("last use not recorded: %+v", ts)
		}
		if err := e.Auth.RevokeToken(ctx, e.Principal(other), tok.ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("someone else revoked it: %v", err)
		}
		if err := e.Auth.RevokeToken(ctx, p, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Auth.Token(ctx, secret, client); !fault.Is(err, fault.Unauthorized) {
			t.Fatalf("revoked token works: %v", err)
		}
		for i := 0; i < e.Auth.Config().MaxTokens; i++ {
			if _, _, err := e.Auth.CreateToken(ctx, p, u.ID, "t"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := e.Auth.CreateToken(ctx, p, u.ID, "one too many"); fault.As(err).Key != "token.too_many" {
			t.Fatalf("token limit: %v", err)
		}
	})
}

func TestSignInLinkSetsPasswordOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		o := e.Org("新規組織", model.KindOperator)
		u, _ := e.Directory.CreateUser(ctx, auth.System(), directoryInput(o.ID, "new@new.example"))
		secret, _, err := e.Auth.CreateLink(ctx, auth.System(), u, auth.LinkWelcome)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Auth.UseLink(ctx, secret, "short", client); fault.As(err).Key != "password.too_short" {
			t.Fatalf("short password: %v", err)
		}
		if _, err := e.Auth.UseLink(ctx, secret, "my own long passphrase", client); err != nil {
			t.Fatalf("a rejected password must not spend the link: %v", err)
		}
		if _, err := e.Auth.UseLink(ctx, secret, "another long passphrase", client); fault.As(err).Key != "link.invalid" {
			t.Fatalf("link used twice: %v", err)
		}
		if _, err := e.Auth.SignIn(ctx, u.Email, "my own long passphrase", client); err != nil {
			t.Fatal(err)
		}
		late, _, _ := e.Auth.CreateLink(ctx, auth.System(), u, auth.LinkReset)
		e.Clock.Advance(e.Auth.Config().LinkTTL + time.Second)
		if _, err := e.Auth.LinkUser(ctx, late); fault.As(err).Key != "link.invalid" {
			t.Fatalf("expired link: %v", err)
		}
	})
}

func TestHasherBoundsConcurrencyAndQueue(t *testing.T) {
	h := auth.NewHasher(auth.HashParams{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, 2, 3)
	enc, err := h.Hash(ctx, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, stale, err := h.Verify(ctx, enc, "a long enough password"); !ok || stale || err != nil {
		t.Fatalf("verify: %v %v %v", ok, stale, err)
	}
	if ok, _, _ := h.Verify(ctx, enc, "wrong"); ok {
		t.Fatal("wrong password verified")
	}
	if ok, _, _ := h.Verify(ctx, "", "anything"); ok {
		t.Fatal("empty hash verified")
	}
	// 2 running + 3 waiting are allowed; more are refused at once as busy.
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Hash(ctx, "x"); errors.Is(err, auth.ErrBusy) {
				mu.Lock()
				busy++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if busy == 0 {
		t.Fatal("no hash was refused under a burst of 40 with room for 5")
	}
	stronger := auth.NewHasher(auth.HashParams{MemoryKiB: 16 * 1024, Time: 1, Threads: 1}, 1, 1)
	if ok, stale, _ := stronger.Verify(ctx, enc, "a long enough password"); !ok || !stale {
		t.Fatalf("changed parameters are not reported stale: %v %v", ok, stale)
	}
}

func TestTOTPKnownAnswer(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
	// the six-digit code is its last six digits.
	secret := []byte("12345678901234567890")
	if got := auth.TOTPCode(secret, 59/30); got != "287082" {
		t.Fatalf("got %s", got)
	}
	if got := auth.TOTPCode(secret, 1111111109/30); got != "081804" {
		t.Fatalf("got %s", got)
	}
}
