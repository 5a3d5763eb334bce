package taxii

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/secretbox"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits of subscriptions.
const (
	MaxSubscriptionsPerOrg = 50
	MaxSubTitleLen         = 200
	MaxAPIRootLen          = 2000
	MaxRemoteIDLen         = 200
	MaxSubSecretLen        = 4096
	MinSubInterval         = 5 * time.Minute
	MaxSubInterval         = 7 * 24 * time.Hour
	// A failing subscription is tried again after 1, 2, 4 … minutes, at most this long.
	MaxSubBackoff = 24 * time.Hour
	maxErrorText  = 500
)

// SubscriptionOptions tune the scheduler.
type SubscriptionOptions struct {
	AllowHTTP bool // accept http:// API roots (laboratories, tests); otherwise https only
	// AllowPrivate lets subscriptions reach loopback, private and link-local addresses;
	// otherwise such addresses are refused when typed and when dialled (so DNS cannot point
	// a subscription inside the server's network).
	AllowPrivate bool
	Lease        time.Duration // how long a claimed run is held without a page done
	PageSize     int           // objects asked for or sent per page
	Poll         time.Duration // how often the scheduler looks for due subscriptions
	HTTP         *http.Client
}

// Subscriptions keeps TAXII subscriptions and runs them: pulls from remote collections
// into local ones and pushes local collections to remote ones.
type Subscriptions struct {
	db    *store.DB
	box   *secretbox.Box
	intel *intel.Service
	auth  *auth.Service
	now   func() time.Time
	log   *slog.Logger
	opt   SubscriptionOptions
	owner string
	wake  chan struct{}
	// afterPage, set by tests, is called after each page saved; an error it returns stops
	// the run as a crash would: the lease is left held and nothing more is recorded.
	afterPage func(pages int) error
}

var subsOf sync.Map // *app.App → *Subscriptions

// SubscriptionsOf returns the subscription service of an app, made once, so that the API,
// the pages and the scheduler share it.
func SubscriptionsOf(a *app.App) *Subscriptions {
	if s, ok := subsOf.Load(a); ok {
		return s.(*Subscriptions)
	}
	s, _ := subsOf.LoadOrStore(a, NewSubscriptions(a, SubscriptionOptions{AllowHTTP: a.Config.TaxiiAllowHTTP, AllowPrivate: a.Config.TaxiiAllowPrivate}))
	return s.(*Subscriptions)
}

// NewSubscriptions builds the service on an app.
func NewSubscriptions(a *app.App, opt SubscriptionOptions) *Subscriptions {
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Minute
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 1000
	}
	if opt.Poll <= 0 {
		opt.Poll = 15 * time.Second
	}
	if opt.HTTP == nil {
		opt.HTTP = subscriptionClient(opt.AllowPrivate)
	}
	b := make([]byte, 8)
	rand.Read(b)
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Subscriptions{db: a.DB, box: a.Box, intel: a.Intel, auth: a.Auth, now: a.Now, log: log, opt: opt,
		owner: "taxii-" + hex.EncodeToString(b), wake: make(chan struct{}, 1)}
}

// Subscription is a subscription as its administrators see it (never its credential).
type Subscription struct {
	store.TaxiiSubscription
	Collection intel.Collection // the local collection
	HasSecret  bool
	Running    bool // a node holds a live lease on it
}

// SubscriptionInput describes a new subscription.
type SubscriptionInput struct {
	Title            string
	Direction        string // pull or push
	Collection       string // the local collection's TAXII id
	APIRoot          string
	RemoteCollection string
	AuthKind         string // none, bearer, basic
	Username         string
	Secret           string // the bearer token or the Basic password
	Interval         time.Duration
}

func subFacts(s store.TaxiiSubscription) policy.TaxiiSubFacts {
	return policy.TaxiiSubFacts{OrgID: s.OrgID}
}

func (s *Subscriptions) view(ctx context.Context, p auth.Principal, t store.TaxiiSubscription) Subscription {
	v := Subscription{TaxiiSubscription: t, HasSecret: t.SecretSealed != "", Running: t.LeasedUntil.After(s.now())}
	v.SecretSealed = ""
	if k, err := s.intel.CollectionByID(ctx, p, t.CollectionID); err == nil {
		v.Collection = k
	}
	return v
}

// CleanAPIRoot checks a remote API root URL and ends it with a slash.
func (s *Subscriptions) CleanAPIRoot(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fault.New(fault.Invalid, "invalid.required")
	}
	if len(raw) > MaxAPIRootLen {
		return "", fault.New(fault.Invalid, "invalid.too_long", "max", MaxAPIRootLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && s.opt.AllowHTTP)) {
		return "", fault.New(fault.Invalid, "taxiisub.bad_api_root")
	}
	if !s.opt.AllowPrivate {
		host := strings.ToLower(u.Hostname())
		if ip, err := netip.ParseAddr(host); (err == nil && refusedAddr(ip)) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", fault.New(fault.Invalid, "taxiisub.private_api_root")
		}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// refusedAddr reports whether an address is the server's own network: loopback, private,
// link-local (cloud metadata services), unspecified, multicast or carrier-grade NAT.
func refusedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// subscriptionClient is the HTTP client of runs: bounded in time, no proxy, redirects not
// followed, and (unless allowed) no connection to a refused address, checked on the address
// actually dialled.
func subscriptionClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || refusedAddr(ip) {
				return fmt.Errorf("address %s is refused (private, loopback or link-local)", host)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: 30 * time.Second,
			ResponseHeaderTimeout: time.Minute, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func cleanRemoteID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fault.New(fault.Invalid, "invalid.required")
	}
	if len(id) > MaxRemoteIDLen || strings.ContainsAny(id, "/?#") || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return "", fault.New(fault.Invalid, "taxiisub.bad_remote_collection")
	}
	return id, nil
}

// Create adds a subscription for the caller's organization; it is due at once.
func (s *Subscriptions) Create(ctx context.Context, p auth.Principal, in SubscriptionInput) (Subscription, error) {
	if !policy.CanManageTaxiiSubs(p.Actor) {
		return Subscription{}, fault.New(fault.Forbidden, "error.forbidden")
	}
	v, err := s.check(ctx, p, in, false)
	if err != nil {
		return Subscription{}, err
	}
	now := s.now()
	t := store.TaxiiSubscription{OrgID: p.User.OrgID, CreatedBy: p.User.ID, CollectionID: v.coll.ID, Direction: in.Direction, Title: v.title,
		APIRoot: v.root, RemoteCollection: v.remote, AuthKind: in.AuthKind, Username: v.user, Interval: in.Interval.Truncate(time.Second),
		NextAt: now, CreatedAt: now}
	err = s.db.Write(ctx, func(c store.Conn) error {
		n, err := store.ListTaxiiSubs(ctx, c, policy.TaxiiSubFilter(p.Actor), store.Page{Limit: MaxSubscriptionsPerOrg})
		if err != nil {
			return err
		}
		if len(n) >= MaxSubscriptionsPerOrg {
			return fault.New(fault.Conflict, "taxiisub.too_many", "max", MaxSubscriptionsPerOrg)
		}
		if t.ID, err = store.InsertTaxiiSub(ctx, c, t); err != nil {
			return err
		}
		if in.Secret != "" {
			t.SecretSealed = s.box.Seal([]byte(in.Secret), secretPurpose(t.ID))
			if err := store.SetTaxiiSubSecret(ctx, c, t.ID, t.SecretSealed); err != nil {
				return err
			}
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "taxii.subscription_created", TargetType: "taxii_subscription",
			TargetID: t.ID, Detail: map[string]any{"direction": t.Direction, "api_root": v.root, "remote_collection": v.remote,
				"collection_id": v.coll.ID, "auth": t.AuthKind, "interval_s": int64(t.Interval / time.Second)}}, now)
		return err
	})
	if err != nil {
		return Subscription{}, err
	}
	s.Wake()
	return s.view(ctx, p, t), nil
}

// checked is a subscription's input once it passed check.
type checked struct {
	title, root, remote, user string
	coll                      intel.Collection
}

// check validates a subscription's input; keepSecret says that an empty secret keeps the
// one stored (an edit), rather than being missing.
func (s *Subscriptions) check(ctx context.Context, p auth.Principal, in SubscriptionInput, keepSecret bool) (checked, error) {
	var errs fault.List
	var v checked
	var err error
	v.title, err = model.CleanText(in.Title, MaxSubTitleLen, true)
	errs.AddErr("title", err)
	if in.Direction != "pull" && in.Direction != "push" {
		errs.Add("direction", "taxiisub.bad_direction")
	}
	v.root, err = s.CleanAPIRoot(in.APIRoot)
	errs.AddErr("api_root", err)
	v.remote, err = cleanRemoteID(in.RemoteCollection)
	errs.AddErr("remote_collection", err)
	v.user = strings.TrimSpace(in.Username)
	needSecret := in.Secret == "" && !keepSecret
	switch in.AuthKind {
	case "none":
		v.user = ""
	case "bearer":
		v.user = ""
		if needSecret {
			errs.Add("secret", "invalid.required")
		}
	case "basic":
		if v.user == "" || len(v.user) > 320 {
			errs.Add("username", "invalid.required")
		}
		if needSecret {
			errs.Add("secret", "invalid.required")
		}
	default:
		errs.Add("auth_kind", "taxiisub.bad_auth_kind")
	}
	if len(in.Secret) > MaxSubSecretLen {
		errs.Add("secret", "invalid.too_long", "max", MaxSubSecretLen)
	}
	if in.Interval < MinSubInterval || in.Interval > MaxSubInterval {
		errs.Add("interval", "taxiisub.bad_interval", "min", int(MinSubInterval/time.Minute), "max", int(MaxSubInterval/time.Minute))
	}
	if in.Collection == "" {
		errs.Add("collection", "invalid.required")
	} else if v.coll, err = s.intel.Collection(ctx, p, in.Collection); err != nil ||
		!policy.CanUseCollectionForTaxiiSub(p.Actor, intel.CollectionFacts(v.coll.IntelCollection), in.Direction == "push") {
		errs.Add("collection", "taxiisub.bad_collection")
	}
	return v, errs.Err()
}

func secretPurpose(id int64) string { return "taxii-subscription:" + strconv.FormatInt(id, 10) }

// List returns the caller's organization's subscriptions in id order after the cursor.
func (s *Subscriptions) List(ctx context.Context, p auth.Principal, pg store.Page) ([]Subscription, error) {
	ts, err := store.ListTaxiiSubs(ctx, s.db.Read(), policy.TaxiiSubFilter(p.Actor), pg)
	out := make([]Subscription, len(ts))
	for i, t := range ts {
		out[i] = s.view(ctx, p, t)
	}
	return out, err
}

func (s *Subscriptions) get(ctx context.Context, c store.Conn, p auth.Principal, id int64) (store.TaxiiSubscription, error) {
	t, err := store.GetTaxiiSub(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewTaxiiSub(p.Actor, subFacts(t))) {
		return store.TaxiiSubscription{}, fault.New(fault.NotFound, "error.not_found")
	}
	return t, err
}

// Get returns one subscription; one of another organization is not found.
func (s *Subscriptions) Get(ctx context.Context, p auth.Principal, id int64) (Subscription, error) {
	t, err := s.get(ctx, s.db.Read(), p, id)
	if err != nil {
		return Subscription{}, err
	}
	return s.view(ctx, p, t), nil
}

// Delete removes a subscription; a run under way stops at its next page.
func (s *Subscriptions) Delete(ctx context.Context, p auth.Principal, id int64) error {
	return s.db.Write(ctx, func(c store.Conn) error {
		t, err := s.get(ctx, c, p, id)
		if err != nil {
			return err
		}
		if err := store.DeleteTaxiiSub(ctx, c, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "taxii.subscription_deleted", TargetType: "taxii_subscription",
			TargetID: id, Detail: map[string]any{"direction": t.Direction, "api_root": t.APIRoot, "remote_collection": t.RemoteCollection}}, s.now())
		return err
	})
}

// RunNow makes a subscription due at once and wakes the scheduler.
func (s *Subscriptions) RunNow(ctx context.Context, p auth.Principal, id int64) error {
	now := s.now()
	err := s.db.Write(ctx, func(c store.Conn) error {
		if _, err := s.get(ctx, c, p, id); err != nil {
			return err
		}
		if err := store.RunTaxiiSubNow(ctx, c, id, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "taxii.subscription_run", TargetType: "taxii_subscription", TargetID: id}, now)
		return err
	})
	if err == nil {
		s.Wake()
	}
	return err
}

// Wake makes a started scheduler look for due subscriptions now.
func (s *Subscriptions) Wake() { nudge(s.wake) }

// Start runs the scheduler until ctx ends; wait returns once the run under way is over.
func (s *Subscriptions) Start(ctx context.Context) (wait func()) {
	return runSchedule(ctx, s.opt.Poll, s.wake, s.log, "taxii subscriptions", func(ctx context.Context) error {
		_, err := s.Tick(ctx)
		return err
	})
}

// maxRunsPerTick bounds the runs of one Tick, so that a long list yields to the poll.
const maxRunsPerTick = 20

// Tick claims due subscriptions one at a time and runs each, until none is due; it returns
// how many it ran.
func (s *Subscriptions) Tick(ctx context.Context) (int, error) {
	n := 0
	for n < maxRunsPerTick && ctx.Err() == nil {
		var claimed []store.TaxiiSubscription
		now := s.now()
		err := s.db.Write(ctx, func(c store.Conn) error {
			var err error
			claimed, err = store.ClaimTaxiiSubs(ctx, c, s.owner, now, now.Add(s.opt.Lease), 1)
			return err
		})
		if err != nil || len(claimed) == 0 {
			return n, err
		}
		n++
		if err := s.runOne(ctx, claimed[0]); err != nil {
			return n, err
		}
	}
	return n, nil
}

var errCrash = errors.New("simulated crash")

// backoff is the wait after the failures-th failure in a row.
func backoff(failures int) time.Duration {
	if failures > 20 {
		return MaxSubBackoff
	}
	return min(time.Minute<<(max(failures, 1)-1), MaxSubBackoff)
}

func (s *Subscriptions) runOne(ctx context.Context, t store.TaxiiSubscription) error {
	err := s.work(ctx, t)
	if errors.Is(err, errCrash) {
		return nil
	}
	if ctx.Err() != nil {
		// Shutting down: leave the run due again (its checkpoint is saved) by letting the
		// lease lapse rather than counting a failure.
		return nil
	}
	now := s.now()
	next, msg := now.Add(t.Interval), ""
	if err != nil {
		msg = errText(err)
		next = now.Add(backoff(t.Failures + 1))
		s.log.Warn("taxii subscription failed", "id", t.ID, "direction", t.Direction, "err", msg)
	}
	return s.db.Write(ctx, func(c store.Conn) error {
		_, err := store.FinishTaxiiSub(ctx, c, t.ID, s.owner, now, next, msg)
		return err
	})
}

func errText(err error) string {
	m := err.Error()
	if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal {
		m = string(fe.Kind) + ": " + fe.Key
	}
	if len(m) > maxErrorText {
		m = m[:maxErrorText]
	}
	return strings.ToValidUTF8(m, "")
}

var errLeaseLost = errors.New("the subscription was removed or taken over by another node")

// work does one run as the person who made the subscription, who must still be allowed to.
func (s *Subscriptions) work(ctx context.Context, t store.TaxiiSubscription) error {
	p, err := s.auth.Principal(ctx, t.CreatedBy)
	if err != nil {
		return err
	}
	if p.User.Disabled || p.Org.Disabled || !policy.CanViewTaxiiSub(p.Actor, subFacts(t)) {
		return errors.New("the person who made this subscription may no longer run it")
	}
	coll, err := s.intel.CollectionByID(ctx, p, t.CollectionID)
	if err != nil || !policy.CanUseCollectionForTaxiiSub(p.Actor, intel.CollectionFacts(coll.IntelCollection), t.Direction == "push") {
		return errors.New("the person who made this subscription may no longer use its local collection")
	}
	client := &Client{APIRoot: t.APIRoot, HTTP: s.opt.HTTP, PageSize: s.opt.PageSize}
	if t.SecretSealed != "" {
		secret, err := s.box.Open(t.SecretSealed, secretPurpose(t.ID))
		if err != nil {
			return err
		}
		client.Token = string(secret)
	}
	if t.AuthKind == "basic" {
		client.User = t.Username
	}
	pages := 0
	save := func(checkpoint string, pulled, pushed, refused int) error {
		var ok bool
		err := s.db.Write(ctx, func(c store.Conn) error {
			var err error
			ok, err = store.SaveTaxiiSubPage(ctx, c, t.ID, s.owner, checkpoint, int64(pulled), int64(pushed), int64(refused), s.now().Add(s.opt.Lease))
			return err
		})
		if err != nil {
			return err
		}
		if !ok {
			return errLeaseLost
		}
		pages++
		if s.afterPage != nil {
			if err := s.afterPage(pages); err != nil {
				return errors.Join(errCrash, err)
			}
		}
		return nil
	}
	if t.Direction == "push" {
		return s.push(ctx, p, coll, client, t, save)
	}
	// Each page is stored, then its checkpoint saved: a crash between the two pulls the
	// page again, and the store keeps one copy of each object version.
	_, err = client.Pull(ctx, t.RemoteCollection, t.Checkpoint, func(pg Page) error {
		var b bytes.Buffer
		b.WriteString(`{"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(o)
		}
		b.WriteString(`]}`)
		st, err := s.intel.AddObjects(ctx, p, coll.UUID, &b)
		if err != nil {
			return err
		}
		return save(pg.Checkpoint, len(pg.Objects)-st.Failure, 0, st.Failure)
	})
	return err
}

// push sends the local collection's object versions added after the checkpoint (local
// date_added in microseconds), page by page, as the maker sees them; TLP:RED ones are for
// named people and never leave.
func (s *Subscriptions) push(ctx context.Context, p auth.Principal, coll intel.Collection, client *Client, t store.TaxiiSubscription,
	save func(string, int, int, int) error) error {
	var after int64
	if t.Checkpoint != "" {
		var err error
		if after, err = strconv.ParseInt(t.Checkpoint, 10, 64); err != nil {
			return fmt.Errorf("bad push checkpoint %q", t.Checkpoint)
		}
	}
	for {
		q := intel.Query{Limit: s.opt.PageSize, Versions: store.VersionMode{All: true}}
		if after > 0 {
			q.AddedAfter = time.UnixMicro(after)
		}
		pg, err := s.intel.Objects(ctx, p, coll.UUID, q)
		if err != nil {
			return err
		}
		if len(pg.Versions) == 0 {
			return nil
		}
		var objs [][]byte
		for _, v := range pg.Versions {
			if v.TLP != string(model.TLPRed) {
				objs = append(objs, []byte(v.Raw))
			}
			after = max(after, v.DateAdded)
		}
		ok, failed := 0, 0
		if len(objs) > 0 {
			if ok, failed, _, err = client.Push(ctx, t.RemoteCollection, objs); err != nil {
				return err
			}
		}
		if err := save(strconv.FormatInt(after, 10), 0, ok, failed); err != nil {
			return err
		}
		if !pg.More {
			return nil
		}
	}
}
