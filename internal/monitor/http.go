package monitor

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

func isHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

// parseTargetURL accepts an absolute http or https URL with a host.
func parseTargetURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("URL %q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("URL %q: want http:// or https:// and a host", raw)
	}
	return u, nil
}

// httpProber makes liveness requests. Certificates are not checked here (the TLS check
// reports them), so a site with an expired certificate is still seen as up or down.
type httpProber struct {
	m  *Monitor
	rt *http.Transport
}

func newHTTPProber(m *Monitor) *httpProber {
	rt := &http.Transport{
		DialContext:            m.cfg.Dial,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // liveness only; see checkTLS
		TLSHandshakeTimeout:    m.cfg.HTTPTimeout,
		ResponseHeaderTimeout:  m.cfg.HTTPTimeout,
		DisableKeepAlives:      true, // thousands of hosts, each asked rarely: no idle connections held
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &httpProber{m: m, rt: rt}
}

// limitedTransport waits for the host's rate limit before each request, redirects
// included, and keeps the time spent waiting out of the latency.
type limitedTransport struct {
	p      *httpProber
	waited time.Duration
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	if err := t.p.m.hosts.wait(req.Context(), req.URL.Hostname()); err != nil {
		return nil, err
	}
	t.waited += time.Since(start)
	return t.p.rt.RoundTrip(req)
}

// probe is what one liveness request saw.
type probe struct {
	status    int
	latency   time.Duration
	finalURL  string
	redirects int
	err       error
	keyword   bool // the expected text was found (or none was expected)
}

func (p probe) down() bool { return p.err != nil || p.status >= 400 }

func (p probe) reason() string {
	if p.err != nil {
		return p.err.Error()
	}
	return "HTTP " + strconv.Itoa(p.status)
}

// errTooManyRedirects ends a redirect chain longer than the limit.
var errTooManyRedirects = errors.New("too many redirects")

func (p *httpProber) probe(ctx context.Context, u *url.URL, expect string) probe {
	ctx, cancel := context.WithTimeout(ctx, p.m.cfg.HTTPTimeout)
	defer cancel()
	var res probe
	lt := &limitedTransport{p: p}
	client := &http.Client{Transport: lt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		res.redirects = len(via)
		if len(via) > p.m.cfg.HTTPMaxRedirects {
			return errTooManyRedirects
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect to a %s: URL", req.URL.Scheme)
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("User-Agent", p.m.cfg.UserAgent)
	start := time.Now()
	resp, err := client.Do(req)
	res.latency = time.Since(start) - lt.waited
	if err != nil {
		res.err = simplifyErr(err)
		return res
	}
	defer resp.Body.Close()
	res.status, res.finalURL, res.keyword = resp.StatusCode, resp.Request.URL.String(), true
	if expect != "" {
		body, err := io.ReadAll(io.LimitReader(resp.Body, p.m.cfg.HTTPMaxBody))
		if err != nil && ctx.Err() != nil {
			res.err = errors.New("timeout reading the page")
			return res
		}
		res.keyword = bytes.Contains(body, []byte(expect))
	}
	return res
}

// simplifyErr drops the URL and method the client wraps around an error: the finding
// names the URL already.
func simplifyErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timeout")
	}
	return err
}

// checkHTTP asks for the URL; when it looks down, it asks again after ConfirmDelay and
// reports down only if the second answer agrees.
func (m *Monitor) checkHTTP(ctx context.Context, j store.MonitorCheck) (outcome, error) {
	u, err := parseTargetURL(j.TargetValue)
	if err != nil {
		return outcome{}, err
	}
	first := m.http.probe(ctx, u, j.Expect)
	r, confirmed := first, false
	if first.down() {
		t := time.NewTimer(m.cfg.ConfirmDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return outcome{}, ctx.Err()
		case <-t.C:
		}
		r, confirmed = m.http.probe(ctx, u, j.Expect), true
	}
	ev := map[string]string{
		"latency_ms": strconv.FormatInt(r.latency.Milliseconds(), 10),
		"redirects":  strconv.Itoa(r.redirects),
	}
	if r.status != 0 {
		ev["status"] = strconv.Itoa(r.status)
	}
	if r.finalURL != "" && r.finalURL != u.String() {
		ev["final_url"] = r.finalURL
	}
	if r.err != nil {
		ev["error"] = r.err.Error()
	}
	if confirmed {
		ev["first_attempt"] = first.reason()
	}
	vars := map[string]any{"url": u.String(), "reason": r.reason(), "time": jst(m.cfg.Now())}
	var o outcome
	o.add(cond{key: "http:down", problem: r.down(), severity: SevHigh, evidence: ev,
		msg:   message{TitleKey: "monitor.http_down.title", BodyKey: "monitor.http_down.body", ActionKey: "monitor.http_down.action", Vars: vars},
		okMsg: message{TitleKey: "monitor.http_up.title", BodyKey: "monitor.http_up.body", ActionKey: "monitor.no_action", Vars: vars}})
	if r.down() {
		return o, nil // slowness and content are judged only on an answer
	}
	slowVars := map[string]any{"url": u.String(), "ms": r.latency.Milliseconds(), "limit_ms": m.cfg.HTTPSlow.Milliseconds()}
	o.add(cond{key: "http:slow", problem: r.latency > m.cfg.HTTPSlow, severity: SevLow, evidence: ev,
		msg:   message{TitleKey: "monitor.http_slow.title", BodyKey: "monitor.http_slow.body", ActionKey: "monitor.http_slow.action", Vars: slowVars},
		okMsg: message{TitleKey: "monitor.http_fast.title", BodyKey: "monitor.http_fast.body", ActionKey: "monitor.no_action", Vars: slowVars}})
	if j.Expect != "" {
		kwVars := map[string]any{"url": u.String(), "text": j.Expect}
		o.add(cond{key: "http:content", problem: !r.keyword, severity: SevMedium, evidence: ev,
			msg:   message{TitleKey: "monitor.http_content.title", BodyKey: "monitor.http_content.body", ActionKey: "monitor.http_content.action", Vars: kwVars},
			okMsg: message{TitleKey: "monitor.http_content_ok.title", BodyKey: "monitor.http_content_ok.body", ActionKey: "monitor.no_action", Vars: kwVars}})
	}
	return o, nil
}

var jstZone = time.FixedZone("JST", 9*3600)

// jst formats a time as the users read it.
func jst(t time.Time) string { return t.In(jstZone).Format("2006-01-02 15:04 MST") }
