package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	defaultChrome = "/usr/bin/chromium"
	// browserBudget bounds one browser, and so one run of a test on one backend. A run
	// takes 10-40 s on an idle machine; the margin is for a machine busy with other builds,
	// where the same runs took over a minute and failed on time alone.
	browserBudget = 180 * time.Second
	// stepBudget bounds one step (a page load, a click, a wait for an element), so that
	// a missing element fails the test quickly with the page it was looked for on.
	stepBudget = 30 * time.Second
)

// chromePath returns the browser to drive. A missing browser skips the test, or fails it
// when RENKEI_TEST_REQUIRE_BROWSER=1 (CI sets it: there the tests must run).
func chromePath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("RENKEI_TEST_CHROME")
	if p == "" {
		p = defaultChrome
	}
	found, err := exec.LookPath(p)
	if err == nil {
		return found
	}
	if os.Getenv("RENKEI_TEST_REQUIRE_BROWSER") == "1" {
		t.Fatalf("RENKEI_TEST_REQUIRE_BROWSER=1 but the browser %s is not usable: %v (install it with: apt-get install -y chromium)", p, err)
	}
	t.Skipf("browser %s not found (set RENKEI_TEST_CHROME, or install chromium): %v", p, err)
	return ""
}

// browser is one tab of a headless chromium, pointed at a Renkei server. Its methods
// fail the test on any error, so that tests read as a list of what a person does.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; ends when the browser's budget does
	base string          // the server's URL, without a trailing slash

	mu       sync.Mutex
	problems []string // script exceptions and console errors seen in the tab
}

// newBrowser starts a headless chromium with a fresh profile and opens one tab on base.
// The browser is stopped and its profile removed when the test ends.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	chrome := chromePath(t)
	profile, err := os.MkdirTemp("", "renkei-e2e-chrome-")
	if err != nil {
		t.Fatal(err)
	}
	var output syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// The machine has no network: without these the browser waits on background
		// connections (QUIC probes, component and sync updates).
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A person in Japan: the pages before sign-in follow Accept-Language.
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja"),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&output),
	)
	budget, stopBudget := context.WithTimeout(context.Background(), browserBudget)
	alloc, stopAlloc := chromedp.NewExecAllocator(budget, opts...)
	ctx, closeTab := chromedp.NewContext(alloc)
	b := &browser{t: t, ctx: ctx, base: strings.TrimRight(base, "/")}
	t.Cleanup(func() {
		closeTab()
		stopAlloc() // waits for the browser to exit
		stopBudget()
		os.RemoveAll(profile)
		if t.Failed() && output.Len() > 0 {
			t.Logf("chromium output (the end):\n%s", lastLines(output.String(), 30))
		}
	})
	b.watchConsole()
	return b
}

// fresh opens a tab in a new browser context of the same browser: no cookies, no
// storage, as if another person sat down at another computer.
func (b *browser) fresh() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	nb := &browser{t: b.t, ctx: ctx, base: b.base}
	nb.watchConsole()
	return nb
}

// watchConsole starts the tab (and the browser, the first time) and records every
// uncaught script exception and console error; the test fails on any at its end. Failed
// responses (a 401 after a wrong password) are expected and not counted.
func (b *browser) watchConsole() {
	b.t.Helper()
	messages := chromedp.Console(b.ctx)
	if err := chromedp.Do(b.ctx); err != nil {
		b.t.Fatalf("starting the browser: %v", err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	b.t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			b.t.Errorf("browser console: %s", p)
		}
	})
}

// do runs actions within one step's budget.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its JSON result.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// navigate waits for the page that the actions (a click, a page load) lead to, and
// returns its HTTP status.
func (b *browser) navigate(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// open loads a path of the site (or a full URL) as if typed into the address bar.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.base + path
	}
	return b.navigate("opening "+u, chromedp.Navigate(u))
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// clickable is a JavaScript expression for the links and buttons a person would call
// label: those whose text, or the text of an element inside them, is exactly label.
func clickable(label string) string {
	return `(() => {
	const want = ` + jsString(label) + `, found = [];
	for (const e of document.querySelectorAll("a, button, a *, button *")) {
		if (e.textContent.trim() !== want) continue;
		const c = e.closest("a, button");
		if (c && !found.includes(c)) found.push(c);
	}
	return found;
})()`
}

// click clicks the one link or button labelled label and waits for the page it leads to.
// It returns that page's HTTP status.
func (b *browser) click(label string) int64 {
	b.t.Helper()
	expr := clickable(label)
	if n := eval[int](b, expr+".length"); n != 1 {
		b.fatalf("want one link or button labelled %q, found %d", label, n)
	}
	return b.navigate("clicking "+label, chromedp.Click(chromedp.JSPath(expr)))
}

// fill types value into the field with the given id, replacing what was there.
func (b *browser) fill(id, value string) {
	b.t.Helper()
	b.do("filling #"+id, chromedp.Clear(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), value))
	if got := b.value(id); got != value {
		b.fatalf("#%s holds %q after typing %q", id, got, value)
	}
}

// choose picks the option with the given value in the select with the given id.
func (b *browser) choose(id, value string) {
	b.t.Helper()
	has := eval[bool](b, `[...document.getElementById(`+jsString(id)+`).options].some(o => o.value === `+jsString(value)+`)`)
	if !has {
		b.fatalf("select #%s has no option %q", id, value)
	}
	b.do("choosing in #"+id, chromedp.SetValue(chromedp.ID(id), value))
}

// value returns the current value of the field with the given id.
func (b *browser) value(id string) string {
	b.t.Helper()
	r := eval[found](b, `(() => { const e = document.getElementById(`+jsString(id)+`);
		return e ? {found: true, text: e.value} : {found: false, text: ""}; })()`)
	if !r.Found {
		b.fatalf("no field #%s", id)
	}
	return r.Text
}

type found struct {
	Found bool   `json:"found"`
	Text  string `json:"text"`
}

// text returns the visible text of the first element matching a CSS selector, failing
// the test when there is none.
func (b *browser) text(css string) string {
	b.t.Helper()
	r := b.lookup(css)
	if !r.Found {
		b.fatalf("nothing matches %s", css)
	}
	return r.Text
}

// has reports whether an element matches a CSS selector.
func (b *browser) has(css string) bool {
	b.t.Helper()
	return b.lookup(css).Found
}

func (b *browser) lookup(css string) found {
	b.t.Helper()
	return eval[found](b, `(() => { const e = document.querySelector(`+jsString(css)+`);
		return e ? {found: true, text: e.innerText.trim()} : {found: false, text: ""}; })()`)
}

// count returns how many elements match a CSS selector.
func (b *browser) count(css string) int {
	b.t.Helper()
	return eval[int](b, `document.querySelectorAll(`+jsString(css)+`).length`)
}

// location returns the page's path and query.
func (b *browser) location() *url.URL {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("reading the location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u
}

// expectPage checks that the browser shows the page at path with the heading h1.
func (b *browser) expectPage(path, h1 string) {
	b.t.Helper()
	if got := b.location().Path; got != path {
		b.fatalf("on %s, want %s", got, path)
	}
	if got := b.text("h1"); got != h1 {
		b.fatalf("heading %q, want %q", got, h1)
	}
}

// expectHome checks that the browser shows the home page of the named person.
func (b *browser) expectHome(displayName string) {
	b.t.Helper()
	b.expectPage("/", "ホーム")
	if lead := b.text(".lead"); !strings.Contains(lead, displayName) {
		b.fatalf("home page greets %q, want %s", lead, displayName)
	}
}

// signIn fills in and submits the sign-in form, and returns the answer's HTTP status.
func (b *browser) signIn(email, password string) int64 {
	b.t.Helper()
	b.open("/signin")
	b.expectPage("/signin", "サインイン")
	b.fill("email", email)
	b.fill("password", password)
	return b.click("サインイン")
}

// noHorizontalScroll checks that the page fits the width of the viewport.
func (b *browser) noHorizontalScroll() {
	b.t.Helper()
	type widths struct {
		Scroll int `json:"scroll"`
		Inner  int `json:"inner"`
	}
	w := eval[widths](b, `({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`)
	if w.Scroll > w.Inner {
		wide := eval[[]string](b, `[...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
			.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).replace(/ +/g, ".") : ""))`)
		b.fatalf("page scrolls sideways: %dpx wide in a %dpx viewport; too wide: %v", w.Scroll, w.Inner, wide)
	}
}

// screenshot saves the whole page as NAME.png in RENKEI_SCREENSHOTS, when it is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("RENKEI_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fatalf fails the test with what the page showed, to make the failure readable.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	type state struct {
		URL    string   `json:"url"`
		H1     string   `json:"h1"`
		Errors []string `json:"errors"`
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({url: location.href,
		h1: (document.querySelector("h1") || {innerText: ""}).innerText,
		errors: [...document.querySelectorAll("#form-error, .err")].map(e => e.innerText.trim())})`))
	if err == nil {
		msg += fmt.Sprintf("\n\tpage: %s\n\theading: %q\n\terrors shown: %q", s.URL, s.H1, s.Errors)
	}
	b.t.Fatal(msg)
}

// syncBuffer collects the browser's output, which its process writes from another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
