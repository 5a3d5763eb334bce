package e2e

import (
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// Messages the tests expect, word for word, from the Japanese catalog.
const (
	msgSignInFailed = "メールアドレスまたはパスワードが正しくありません。" // signin.failed
	msgWrongCode    = "確認コードが正しくありません。"           // signin2fa.failed
)

// A wrong password gives the Japanese message on the sign-in page with the email kept;
// the right one then leads home.
func TestBrowserSignInWrongPassword(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("東京臨海電力株式会社", model.KindOperator)
		u := env.Person(org, "sato@rinkai-power.example", model.RoleMember)
		joinCommunities(env, org)
		b := newBrowser(t, env.Server())

		if status := b.signIn(u.Email, "not the password at all"); status != 401 {
			t.Errorf("wrong password answered %d, want 401", status)
		}
		b.expectPage("/signin", "サインイン")
		if lang := eval[string](b, `document.documentElement.lang`); lang != "ja" {
			t.Errorf("sign-in page in %q, want ja", lang)
		}
		if got := b.text("#form-error"); got != msgSignInFailed {
			t.Errorf("error shown %q, want %q", got, msgSignInFailed)
		}
		if got := b.value("email"); got != u.Email {
			t.Errorf("email field holds %q after the failure, want %q", got, u.Email)
		}
		if got := b.value("password"); got != "" {
			t.Errorf("password field holds %q after the failure, want it empty", got)
		}

		b.fill("password", testapp.Password)
		b.click("サインイン")
		b.expectHome(u.DisplayName)
		if n := b.count("a.card[href^='/communities/']"); n != 2 {
			t.Errorf("home lists %d communities, want 2", n)
		}
		b.screenshot("home")
	})
}

// A member turns on 2FA from the profile, then signs in again with a TOTP code.
func TestBrowserTOTPEnrolAndSignIn(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("大会組織委員会", model.KindOrganizer)
		u := env.Person(org, "tanaka@organizer.example", model.RoleMember)
		b := newBrowser(t, env.Server())

		b.signIn(u.Email, testapp.Password)
		b.expectHome(u.DisplayName)
		b.click("個人設定")
		b.expectPage("/profile", "個人設定")
		b.click("2段階認証を管理")
		b.expectPage("/profile/2fa", "2段階認証の設定")
		b.click("設定を始める")
		b.expectPage("/profile/2fa", "2段階認証の設定")
		if !b.has(".qr img") {
			t.Error("no QR code on the enrolment page")
		}
		secret, err := auth.DecodeSecret(b.text("#totp-secret"))
		if err != nil {
			t.Fatalf("secret shown on the page: %v", err)
		}
		enrolStep := auth.TOTPStep(env.Clock.Now())
		code := auth.TOTPCode(secret, enrolStep)

		// A wrong code keeps the enrolment pending and says why.
		b.fill("code", wrongCode(code))
		b.click("有効にする")
		if got, want := b.text(".field.invalid .err"), "コードが正しくありません。端末の時刻が正しいか確認してください。"; got != want {
			t.Errorf("wrong enrolment code: %q shown, want %q", got, want)
		}
		b.fill("code", code)
		b.click("有効にする")
		if got := b.text("h1"); got != "リカバリーコード" {
			t.Fatalf("after the right code: heading %q, want リカバリーコード", got)
		}
		if got := b.text(".notice.ok"); got != "2段階認証を有効にしました。" {
			t.Errorf("flash %q after enrolment", got)
		}
		if n := b.count("#recovery-codes li"); n < 8 {
			t.Errorf("%d recovery codes shown, want at least 8", n)
		}
		if got, err := env.Directory.FindUser(testapp.Ctx(), auth.System(), u.Email); err != nil || !got.TOTPEnabled {
			t.Fatalf("after enrolment the service says TOTPEnabled=%v (err %v)", got.TOTPEnabled, err)
		}

		b.click("サインアウト")
		b.expectPage("/signin", "サインイン")
		if got := b.text(".notice.ok"); got != "サインアウトしました。" {
			t.Errorf("flash %q after signing out", got)
		}
		b.open("/")
		if got := b.location().Path; got != "/signin" {
			t.Fatalf("signed out, / leads to %s, want /signin", got)
		}

		// The password alone no longer signs in: the second step asks for a code.
		b.signIn(u.Email, testapp.Password)
		b.expectPage("/signin/2fa", "2段階認証")
		b.fill("code", wrongCode(env.Code(secret)))
		b.click("確認")
		b.expectPage("/signin/2fa", "2段階認証")
		if got := b.text("#form-error"); got != msgWrongCode {
			t.Errorf("wrong code: %q shown, want %q", got, msgWrongCode)
		}
		// The code used to enrol is still current, but it may not be used twice.
		b.fill("code", code)
		b.click("確認")
		if got := b.text("#form-error"); got != msgWrongCode {
			t.Errorf("replayed code: %q shown, want %q", got, msgWrongCode)
		}
		env.Clock.Advance(31 * time.Second)
		b.fill("code", env.Code(secret))
		b.click("確認")
		b.expectHome(u.DisplayName)
		if b.has(".notice.warn a[href='/profile/2fa']") {
			t.Error("home still suggests turning on 2FA")
		}
	})
}

// wrongCode returns a six-digit code that is not good.
func wrongCode(good string) string {
	if good == "000000" {
		return "111111"
	}
	return "000000"
}

// joinCommunities puts org in two communities, so that home has something to show.
func joinCommunities(env *testapp.Env, org model.Org) {
	env.T.Helper()
	for _, in := range []community.Input{
		{NameJA: "情報提供（プロ）", NameEN: "Sharing (professional)", DescriptionJA: "専門家向けの脅威情報の共有", DescriptionEN: "Threat information for professionals"},
		{NameJA: "情報提供（一般）", NameEN: "Sharing (general)", DescriptionJA: "すべての参加組織向けの注意喚起", DescriptionEN: "Alerts for every member organization"},
	} {
		c, err := env.Communities.Create(testapp.Ctx(), auth.System(), in)
		if err != nil {
			env.T.Fatal(err)
		}
		if err := env.Communities.AddOrg(testapp.Ctx(), auth.System(), c.ID, org.ID); err != nil {
			env.T.Fatal(err)
		}
	}
}
