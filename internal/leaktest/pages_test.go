package leaktest

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/testapp"
)

// The web pages are a way items reach people too: every active person of the world signs
// in through the sign-in service (with a second factor where their role requires one) and
// the page paths are walked with that session's cookie, as a browser would.

// sessionCookie is the session cookie's name over plain HTTP (the test server's).
const sessionCookie = "renkei_session"

// signInViewers gives every active person a full web session.
func (w *world) signInViewers() {
	for _, v := range w.viewers {
		if v.token == "" || v.p.User.ID == 0 {
			continue
		}
		v.session = w.signIn(v.p.User)
	}
}

// signIn sets the person's password, signs in (from an address of their own, so that the
// sign-in throttle sees one attempt per address) and, when the role requires a second
// factor, enrols one through the session that may only do that.
func (w *world) signIn(u model.User) string {
	w.must(w.env.Auth.SetInitialPassword(w.ctx, u.ID, testapp.Password), "password of person %d", u.ID)
	cl := auth.Client{IP: fmt.Sprintf("10.%d.%d.%d", u.ID>>16&255, u.ID>>8&255, u.ID&255), UserAgent: "leak test"}
	in, err := w.env.Auth.SignIn(w.ctx, u.Email, testapp.Password, cl)
	w.must(err, "sign in person %d", u.ID)
	if in.Session.Stage == model.StageEnrol {
		p, err := w.env.Auth.Session(w.ctx, in.Secret)
		w.must(err, "enrolment session of person %d", u.ID)
		_, text, err := w.env.Auth.BeginTOTP(w.ctx, p)
		w.must(err, "begin TOTP of person %d", u.ID)
		secret, err := auth.DecodeSecret(text)
		w.must(err, "TOTP secret of person %d", u.ID)
		_, in, err = w.env.Auth.ConfirmTOTP(w.ctx, p, w.env.Code(secret), cl)
		w.must(err, "confirm TOTP of person %d", u.ID)
	}
	if !in.Complete() {
		w.failf("sign-in of person %d stopped at stage %q", u.ID, in.Session.Stage)
	}
	return in.Secret
}

// page performs a page request with the viewer's session, as a browser would, without
// following redirects (a redirect to the sign-in page is a failure of the path).
func (c *call) page(path string) (int, string, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, c.w.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.v.session})
	req.Header.Set("Accept", "text/html")
	resp, err := c.w.pages.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// pageGetEach opens every id's page at pattern (with %d for the id): 200 for an allowed
// item, 404 for any other; anything else (403, a redirect) is reported.
func pageGetEach(pattern string) func(*call) ([]int64, error) {
	return pageGetEachAt(func(_ *call, id int64) string { return fmt.Sprintf(pattern, id) })
}

// pageGetEachAt is pageGetEach for addresses that need more than the id.
func pageGetEachAt(at func(c *call, id int64) string) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			ok, err := pageOpens(c, at(c, id))
			if err != nil {
				return out, err
			}
			if ok {
				out = append(out, id)
			}
		}
		return out, nil
	}
}

// pageOpens reports whether the page at u opens (200) or is not found (404); anything
// else is an error.
func pageOpens(c *call, u string) (bool, error) {
	status, body, err := c.page(u)
	switch {
	case err != nil:
		return false, err
	case status == http.StatusOK:
		return true, nil
	case status == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("GET %s: status %d, want 200 or 404: %.300s", u, status, body)
}

// nextLink finds a page's link to its next (older) page.
var nextLink = regexp.MustCompile(`<a [^>]*rel="next"[^>]*href="([^"]+)"`)

// pageList reads the list page at start and the pages its rel="next" links lead to, and
// returns the ids item finds in them (its first group), in order. A first page that is
// not found (404) lists nothing.
func pageList(start string, item *regexp.Regexp) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		u := start
		for range maxPages {
			status, body, err := c.page(u)
			if err != nil {
				return out, err
			}
			if status == http.StatusNotFound && u == start {
				return out, nil // a page the viewer may not open lists nothing
			}
			if status != http.StatusOK {
				return out, fmt.Errorf("GET %s: status %d: %.300s", u, status, body)
			}
			for _, m := range item.FindAllStringSubmatch(body, -1) {
				id, err := strconv.ParseInt(m[1], 10, 64)
				if err != nil {
					return out, fmt.Errorf("GET %s: item %q: %v", u, m[0], err)
				}
				out = append(out, id)
			}
			m := nextLink.FindStringSubmatch(body)
			if m == nil {
				return out, nil
			}
			next := html.UnescapeString(m[1])
			if strings.HasPrefix(next, "?") {
				next = strings.SplitN(u, "?", 2)[0] + next
			}
			if next == u {
				return out, fmt.Errorf("GET %s: the next page is the same page", u)
			}
			u = next
		}
		return out, fmt.Errorf("GET %s: the list does not end", start)
	}
}

// The items of list pages, found by their links or rows.
var (
	topicLink    = regexp.MustCompile(`<a class="topic-link" href="/topics/(\d+)"`)
	caseRow      = regexp.MustCompile(`<td><a href="/desk/cases/(\d+)">`)
	indicatorRow = regexp.MustCompile(`<td [^>]*><a href="/indicators/(\d+)">`)
	noticeRow    = regexp.MustCompile(`<a href="/notices/(\d+)"><strong>`)
	assetRow     = regexp.MustCompile(`<tr data-asset="(\d+)">`)
	importRow    = regexp.MustCompile(`<a href="/intel/imports/(\d+)" class="mono small">`)
	taxiiSubRow  = regexp.MustCompile(`<tr data-sub="(\d+)">`)
)
