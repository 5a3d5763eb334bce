// Package monitor watches the assets organizations registered and the center approved:
// HTTP(S) liveness, TLS certificates, DNS records, exposed risky services and lookalike
// domains (and, optionally, Certificate Transparency names matching brand keywords).
//
// A scheduler keeps one row per check of each approved asset with its next run time, so
// checks survive restarts. A node claims due checks with a lease (FOR UPDATE SKIP LOCKED
// on PostgreSQL), so with several nodes on one database each check runs once. Checks run
// with a global concurrency limit and a rate limit per host. Each run reports the current
// state of the conditions it watches to a Sink: a condition that holds, and one that held
// before and no longer does (recovered); the state kept per check tells which is which.
// Nothing is ever connected to or resolved unless it is an approved asset (or, for
// lookalikes, a candidate name sent to the configured resolver).
package monitor

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/dnscheck"
	"github.com/renkei-dev/renkei/internal/store"
)

// Target is an approved asset to watch.
type Target struct {
	AssetID, OrgID int64
	Kind           string // "domain" | "url" | "ip" | "cidr" | "keyword"
	Value          string
	Expect         string // url only, optional: text the page must contain
}

// Target kinds.
const (
	KindDomain  = "domain"
	KindURL     = "url"
	KindIP      = "ip"
	KindCIDR    = "cidr"
	KindKeyword = "keyword"
)

// Targets lists the approved assets.
type Targets interface {
	ApprovedTargets(ctx context.Context) ([]Target, error)
}

// Finding is the current result of one check for one condition.
type Finding struct {
	AssetID, OrgID int64
	Check          string // http|tls|dns|port|lookalike|ct
	// Key is the identity of the condition, e.g. "http:down", "tls:expiry", "port:3389",
	// "lookalike:examp1e.jp".
	Key      string
	Problem  bool   // true: the condition holds; false: fine now
	Severity string // info|low|medium|high|critical
	// ObservedAt is when the check saw it.
	ObservedAt                                           time.Time
	TitleJA, TitleEN, BodyJA, BodyEN, ActionJA, ActionEN string
	// Evidence: what was seen. For conditions that are events (a DNS record set changed,
	// a lookalike's records changed) "change" says which and "fingerprint" identifies
	// the new state, so that two changes of one condition can be told apart.
	Evidence map[string]string
}

// Sink receives findings; it de-duplicates them into notices.
type Sink interface {
	Report(ctx context.Context, f Finding) error
}

// Check names.
const (
	CheckHTTP      = "http"
	CheckTLS       = "tls"
	CheckDNS       = "dns"
	CheckPort      = "port"
	CheckLookalike = "lookalike"
	CheckCT        = "ct"
)

// Severities.
const (
	SevInfo     = "info"
	SevLow      = "low"
	SevMedium   = "medium"
	SevHigh     = "high"
	SevCritical = "critical"
)

// Monitor schedules and runs the checks.
type Monitor struct {
	db      *store.DB
	cfg     Config
	targets Targets
	sink    Sink
	log     *slog.Logger
	owner   string // this node's name on its leases
	hosts   *hostLimits
	dns     *dnscheck.Resolver // nil without a resolver
	http    *httpProber
}

// New checks cfg (zero fields take their defaults) and returns a Monitor. log may be nil.
func New(db *store.DB, cfg Config, targets Targets, sink Sink, log *slog.Logger) (*Monitor, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if targets == nil || sink == nil {
		return nil, errors.New("monitor: targets and sink are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	crand.Read(b)
	m := &Monitor{db: db, cfg: cfg, targets: targets, sink: sink, log: log.With("component", "monitor"),
		owner: hex.EncodeToString(b), hosts: newHostLimits(cfg.HostRate, cfg.HostBurst)}
	if cfg.Resolver != "" {
		r, err := dnscheck.New(dnscheck.Config{Server: cfg.Resolver, Rate: cfg.DNSRate, Concurrency: cfg.DNSConcurrency,
			Timeout: cfg.DNSTimeout, Retries: cfg.DNSRetries})
		if err != nil {
			return nil, fmt.Errorf("monitor: %w", err)
		}
		m.dns = r
	}
	m.http = newHTTPProber(m)
	return m, nil
}

// checksOf returns the checks a target gets under this configuration.
func (m *Monitor) checksOf(t Target) []string {
	switch t.Kind {
	case KindURL:
		if isHTTPS(t.Value) {
			return []string{CheckHTTP, CheckTLS}
		}
		return []string{CheckHTTP}
	case KindDomain:
		if m.dns != nil {
			return []string{CheckDNS, CheckLookalike}
		}
	case KindIP, KindCIDR:
		if len(m.cfg.Ports) > 0 {
			return []string{CheckPort}
		}
	case KindKeyword:
		if m.cfg.CT != nil {
			return []string{CheckCT}
		}
	}
	return nil
}

func (m *Monitor) interval(check string) time.Duration {
	switch check {
	case CheckHTTP:
		return m.cfg.HTTPInterval
	case CheckTLS:
		return m.cfg.TLSInterval
	case CheckDNS:
		return m.cfg.DNSInterval
	case CheckPort:
		return m.cfg.PortInterval
	case CheckLookalike:
		return m.cfg.LookalikeInterval
	}
	return m.cfg.CTInterval
}

func (m *Monitor) timeout(check string) time.Duration {
	if check == CheckLookalike {
		return m.cfg.LookalikeTimeout
	}
	return m.cfg.CheckTimeout
}

// nextRun is the interval of a check from now, give or take the jitter.
func (m *Monitor) nextRun(now time.Time, check string) time.Time {
	iv := m.interval(check)
	j := time.Duration(m.cfg.Jitter * float64(iv))
	if j <= 0 {
		return now.Add(iv)
	}
	return now.Add(iv - j + rand.N(2*j+1))
}

// firstRun is when a newly scheduled check first runs: soon, spread over the jitter so
// that many assets approved at once do not all start together.
func (m *Monitor) firstRun(now time.Time, check string) time.Time {
	j := time.Duration(m.cfg.Jitter * float64(m.interval(check)))
	if j <= 0 {
		return now
	}
	return now.Add(rand.N(j + 1))
}

// syncBatch is how many schedule changes Sync writes per transaction.
const syncBatch = 500

// Sync makes the schedule match the approved assets: new assets get their checks (due
// soon), changed ones have their state reset, and assets no longer approved lose their
// checks and state. It reports how many checks it added and removed.
func (m *Monitor) Sync(ctx context.Context) (added, removed int, err error) {
	targets, err := m.targets.ApprovedTargets(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("approved targets: %w", err)
	}
	type slot struct {
		asset int64
		check string
	}
	want := map[slot]Target{}
	for _, t := range targets {
		for _, c := range m.checksOf(t) {
			want[slot{t.AssetID, c}] = t
		}
	}
	var existing []store.MonitorCheck
	for p := (store.Page{Limit: store.MaxPage}); ; {
		page, err := store.ListMonitorChecks(ctx, m.db.Read(), p)
		if err != nil {
			return 0, 0, err
		}
		existing = append(existing, page...)
		if len(page) < p.Limit {
			break
		}
		p.After = page[len(page)-1].ID
	}
	now := m.cfg.Now()
	var ops []func(store.Conn) error
	var drop []int64
	for _, e := range existing {
		s := slot{e.AssetID, e.Check}
		t, ok := want[s]
		if !ok {
			drop = append(drop, e.ID)
			continue
		}
		delete(want, s)
		if t.OrgID != e.OrgID || t.Kind != e.TargetKind || t.Value != e.TargetValue || t.Expect != e.Expect {
			e.OrgID, e.TargetKind, e.TargetValue, e.Expect = t.OrgID, t.Kind, t.Value, t.Expect
			e.NextAt = m.firstRun(now, e.Check)
			ops = append(ops, func(c store.Conn) error { return store.RetargetMonitorCheck(ctx, c, e) })
		}
	}
	for i := 0; i < len(drop); i += syncBatch {
		ids := drop[i:min(i+syncBatch, len(drop))]
		ops = append(ops, func(c store.Conn) error { return store.DeleteMonitorChecks(ctx, c, ids) })
	}
	// In a fixed order: two nodes syncing at once on PostgreSQL then wait for each
	// other's rows instead of deadlocking on them.
	slots := make([]slot, 0, len(want))
	for s := range want {
		slots = append(slots, s)
	}
	slices.SortFunc(slots, func(a, b slot) int {
		return cmp.Or(cmp.Compare(a.asset, b.asset), strings.Compare(a.check, b.check))
	})
	for _, s := range slots {
		t := want[s]
		mc := store.MonitorCheck{AssetID: t.AssetID, OrgID: t.OrgID, Check: s.check, TargetKind: t.Kind,
			TargetValue: t.Value, Expect: t.Expect, NextAt: m.firstRun(now, s.check)}
		ops = append(ops, func(c store.Conn) error {
			_, err := store.InsertMonitorCheck(ctx, c, mc) // a no-op if another node added it meanwhile
			return err
		})
	}
	for i := 0; i < len(ops); i += syncBatch {
		batch := ops[i:min(i+syncBatch, len(ops))]
		if err := m.db.Write(ctx, func(c store.Conn) error {
			for _, op := range batch {
				if err := op(c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return added, removed, err
		}
	}
	return len(want), len(drop), nil
}

// Run syncs the schedule and runs due checks until ctx ends; checks running then are
// stopped and left due, for this node after a restart or another node to run.
func (m *Monitor) Run(ctx context.Context) error {
	if _, _, err := m.Sync(ctx); err != nil && ctx.Err() == nil {
		m.log.Error("sync approved assets", "err", err)
	}
	poll := time.NewTicker(m.cfg.Poll)
	defer poll.Stop()
	syncT := time.NewTicker(m.cfg.SyncEvery)
	defer syncT.Stop()
	d := m.newDispatcher(ctx)
	defer d.wait()
	for {
		if _, err := d.fill(); err != nil && ctx.Err() == nil {
			m.log.Error("claim due checks", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		case <-d.done:
		case <-syncT.C:
			if added, removed, err := m.Sync(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("sync approved assets", "err", err)
			} else if added+removed > 0 {
				m.log.Info("monitor schedule updated", "added", added, "removed", removed)
			}
		}
	}
}

// Start runs the monitor in a goroutine until ctx ends; the returned function waits for it
// to stop.
func (m *Monitor) Start(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	return func() { <-done }
}

// RunDue runs every check due now (and those that fall due while it runs) and returns
// how many ran; it is one sweep, for tests, benchmarks and commands.
func (m *Monitor) RunDue(ctx context.Context) (int, error) {
	d := m.newDispatcher(ctx)
	for {
		n, err := d.fill()
		if err != nil {
			d.wait()
			return int(d.started), err
		}
		if n == 0 && d.idle() {
			d.wait()
			return int(d.started), ctx.Err()
		}
		select {
		case <-ctx.Done():
			d.wait()
			return int(d.started), ctx.Err()
		case <-d.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dispatcher claims due checks while it has free slots and runs each in a goroutine.
type dispatcher struct {
	m       *Monitor
	ctx     context.Context
	slots   chan struct{}
	done    chan struct{} // a check finished: there is room to claim more
	wg      sync.WaitGroup
	started int64
}

func (m *Monitor) newDispatcher(ctx context.Context) *dispatcher {
	return &dispatcher{m: m, ctx: ctx, slots: make(chan struct{}, m.cfg.Concurrency), done: make(chan struct{}, 1)}
}

func (d *dispatcher) idle() bool { return len(d.slots) == 0 }

func (d *dispatcher) wait() { d.wg.Wait() }

// fill claims as many due checks as there are free slots and starts them; it returns how
// many it started.
func (d *dispatcher) fill() (int, error) {
	total := 0
	for d.ctx.Err() == nil {
		// Claim in groups: a round trip per finished check would make the database
		// the bottleneck of a sweep of many quick checks.
		free := cap(d.slots) - len(d.slots)
		if free == 0 || (free < cap(d.slots)/4 && len(d.slots) > 0) {
			return total, nil
		}
		now := d.m.cfg.Now()
		var jobs []store.MonitorCheck
		err := d.m.db.Write(d.ctx, func(c store.Conn) error {
			var err error
			jobs, err = store.ClaimMonitorChecks(d.ctx, c, d.m.owner, now, now.Add(d.m.cfg.Lease), min(free, d.m.cfg.Batch))
			return err
		})
		if err != nil {
			return total, err
		}
		for _, j := range jobs {
			d.slots <- struct{}{}
			d.started++
			d.wg.Go(func() {
				defer func() {
					<-d.slots
					select {
					case d.done <- struct{}{}:
					default:
					}
				}()
				d.m.runJob(d.ctx, j)
			})
		}
		total += len(jobs)
		if len(jobs) < min(free, d.m.cfg.Batch) {
			return total, nil
		}
	}
	return total, nil
}

// errLeaseLost rolls back the state of a run whose lease another node took over.
var errLeaseLost = errors.New("lease lost")

// runJob runs one claimed check, reports its findings, saves its state and schedules its
// next run.
func (m *Monitor) runJob(ctx context.Context, j store.MonitorCheck) {
	log := m.log.With("check", j.Check, "check_id", j.ID, "asset_id", j.AssetID)
	start := m.cfg.Now()
	prev, err := store.MonitorStates(ctx, m.db.Read(), j.ID)
	var out outcome
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, m.timeout(j.Check))
		out, err = m.check(cctx, j, prev)
		cancel()
	}
	if ctx.Err() != nil {
		// Stopping: this run is not a result. Leave the check due for the next start.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := m.db.Write(rctx, func(c store.Conn) error { return store.ReleaseMonitorChecks(rctx, c, m.owner, []int64{j.ID}) }); err != nil {
			log.Warn("release check", "err", err)
		}
		return
	}
	now := m.cfg.Now()
	lastErr := ""
	if err != nil {
		lastErr = err.Error()
		log.Info("check failed", "err", err)
	}
	findings, put, drop := m.resolve(j, out, prev, now)
	saveState := true
	for _, f := range findings {
		if err := m.sink.Report(ctx, f); err != nil {
			// Not saving the state makes the next run report these again.
			lastErr = joinErr(lastErr, "report: "+err.Error())
			saveState = false
			log.Warn("report finding", "key", f.Key, "err", err)
			break
		}
	}
	err = m.db.Write(ctx, func(c store.Conn) error {
		if saveState {
			if err := store.SaveMonitorStates(ctx, c, j.ID, put, drop); err != nil {
				return err
			}
		}
		ok, err := store.FinishMonitorCheck(ctx, c, j.ID, m.owner, now, m.nextRun(now, j.Check), now.Sub(start), truncate(lastErr, 1000))
		if err == nil && !ok {
			err = errLeaseLost
		}
		return err
	})
	if err != nil {
		log.Warn("record check run", "err", err)
	}
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// check runs one check.
func (m *Monitor) check(ctx context.Context, j store.MonitorCheck, prev map[string]store.MonitorState) (outcome, error) {
	switch j.Check {
	case CheckHTTP:
		return m.checkHTTP(ctx, j)
	case CheckTLS:
		return m.checkTLS(ctx, j)
	case CheckDNS:
		return m.checkDNS(ctx, j, prev)
	case CheckPort:
		return m.checkPorts(ctx, j)
	case CheckLookalike:
		return m.checkLookalikes(ctx, j, prev)
	case CheckCT:
		return m.checkCT(ctx, j, prev)
	}
	return outcome{}, fmt.Errorf("unknown check %q", j.Check)
}

// Status sums up the schedule per check (how many, due, running on some node, failing),
// for an admin page or a health check.
func (m *Monitor) Status(ctx context.Context) ([]store.MonitorCount, error) {
	return store.CountMonitorChecks(ctx, m.db.Read(), m.cfg.Now())
}
