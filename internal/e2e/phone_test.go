package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// On a phone-sized screen the sign-in page and home fit the width: nothing scrolls sideways.
func TestBrowserPhoneFitsWidth(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("国立競技場運営センター", model.KindVenue)
		u := env.Person(org, "suzuki.ichiro@stadium-operations.example", model.RoleMember)
		joinCommunities(env, org)
		b := newBrowser(t, env.Server())
		b.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))

		b.open("/signin")
		b.expectPage("/signin", "サインイン")
		if w := eval[int](b, `window.innerWidth`); w != 390 {
			t.Fatalf("viewport %dpx wide, want 390", w)
		}
		b.noHorizontalScroll()

		b.fill("email", u.Email)
		b.fill("password", "wrong password")
		b.click("サインイン")
		if got := b.text("#form-error"); got != msgSignInFailed {
			t.Errorf("error shown %q, want %q", got, msgSignInFailed)
		}
		b.noHorizontalScroll()

		b.fill("password", testapp.Password)
		b.click("サインイン")
		b.expectHome(u.DisplayName)
		b.noHorizontalScroll()
	})
}
