// Package notify turns the event log into emails and webhook calls.
//
// Three loops share the work, each safe to run on several nodes at once:
//
//   - Process reads the event log after the cursor named "notify" (table event_cursors),
//     decides who is told about each event and queues what to send: an email at once for a
//     【重要】 topic, a digest item for the rest, a webhook call per receiving organization.
//     Recipients are gathered by the topic's community or audience and each is checked with
//     policy.CanViewTopic (organizations with policy.OrgReceives); nobody is told of their
//     own action. Every queued message has a dedupe key, and the cursor moves in the
//     transaction that queues the event's last messages, so replaying an event after a
//     crash queues nothing twice. It never moves past a gap in the event ids that a
//     transaction still open may fill (PostgreSQL), until Config.EventGapWait has passed.
//   - Digest gathers, hourly or daily (at Config.DigestHour JST) as each person chose, the
//     items waiting for them and queues one digest email; each item goes into one digest.
//   - Deliver claims due messages of the outbox with a lease, renders and sends them, and
//     marks them sent, or retries with exponential backoff until Config.MaxAttempts.
//
// Messages are rendered when they are sent, not when they are queued: the recipient's
// right to see the topic is checked again then (an email or digest entry for a topic
// they can no longer see is dropped silently), and the topic's current TLP decides what
// the message may carry. For TLP:RED and TLP:AMBER+STRICT (model.TLP.LeavesPlatform),
// neither an email nor a webhook body contains the title or the body: only that something
// arrived in a community under that marking, and the link.
//
// Delivery is at least once in one narrow case only: a node that dies after the SMTP
// server or the webhook receiver accepted a message but before it recorded the delivery.
// Emails carry a Message-ID and webhook calls an X-Renkei-Delivery header, both stable
// across attempts, so that receivers can recognise the repeat.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/secretbox"
	"github.com/renkei-dev/renkei/internal/store"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// The TLS modes.
const (
	// TLSNone sends in clear text (a relay on the same host or a closed network).
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades the connection with STARTTLS and refuses a server that does
	// not offer it (port 587, or 25).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit TLSMode = "tls"
)

// ParseTLSMode accepts none, starttls or tls.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(strings.TrimSpace(s))); m {
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	}
	return "", fmt.Errorf("SMTP TLS mode %q: want none, starttls or tls", s)
}

// Config holds the notifier's settings. Zero fields take the defaults of Defaults.
type Config struct {
	// SMTPHost is the mail server; empty turns email off (webhooks still work).
	SMTPHost string
	// SMTPPort defaults to 587 for starttls, 465 for tls and 25 for none.
	SMTPPort     int
	SMTPUsername string // AUTH PLAIN when set; refused over an unprotected connection
	SMTPPassword string
	// From is the sender, "Renkei <renkei@example.jp>" or a bare address.
	From    string
	TLSMode TLSMode
	// TLSConfig overrides the TLS settings of the SMTP connection (a private CA, tests);
	// nil uses the system roots with SMTPHost as the server name.
	TLSConfig *tls.Config
	// SMTPTimeout bounds one SMTP conversation: connecting, and then each message.
	SMTPTimeout time.Duration
	// HELOName is the name given in EHLO; default the host part of From.
	HELOName string

	// BaseURL is the public URL of the site, for links ("https://renkei.example.jp");
	// required.
	BaseURL string
	// DigestHour is the hour of the day (0–23, Japan time) when daily digests go out.
	DigestHour int

	// WebhookTimeout bounds one webhook call.
	WebhookTimeout time.Duration
	// WebhookAllowHTTP accepts http:// webhook URLs (tests, closed networks).
	WebhookAllowHTTP bool
	// WebhookAllowPrivate lets webhooks reach loopback, private and link-local addresses,
	// which are otherwise refused when the connection is made (after DNS), so that a
	// webhook cannot be aimed at the server's own network.
	WebhookAllowPrivate bool

	// MaxAttempts is how often a message is tried before it is given up.
	MaxAttempts int
	// Backoff is the wait after the first failure; it doubles after each, up to BackoffMax.
	Backoff    time.Duration
	BackoffMax time.Duration
	// Lease is how long a claimed message is reserved for its sender; another node takes
	// it over after that. It must exceed SMTPTimeout and WebhookTimeout.
	Lease time.Duration

	// PollInterval, SendInterval and DigestInterval are how often Run looks at the event
	// log, the outbox and the digests.
	PollInterval   time.Duration
	SendInterval   time.Duration
	DigestInterval time.Duration
	// BatchSize is how many events Process reads at once; PageSize how many people it
	// examines per query and queues per transaction.
	BatchSize int
	PageSize  int
	// Workers is how many messages are sent at once.
	Workers int
	// EventGapWait is how long a gap in the event ids is waited for before it is taken for
	// a rolled-back insert (see Process); it must exceed the longest write transaction.
	EventGapWait time.Duration
	// FirstStart is how far back the very first run (no cursor yet) looks in the event log:
	// a new installation or an upgrade does not mail everyone about last year's topics.
	FirstStart time.Duration
}

// Defaults returns the settings used for zero fields.
func Defaults() Config {
	return Config{
		TLSMode:        TLSStartTLS,
		SMTPTimeout:    30 * time.Second,
		DigestHour:     8,
		WebhookTimeout: 10 * time.Second,
		MaxAttempts:    8,
		Backoff:        time.Minute,
		BackoffMax:     6 * time.Hour,
		PollInterval:   2 * time.Second,
		SendInterval:   2 * time.Second,
		DigestInterval: time.Minute,
		BatchSize:      200,
		PageSize:       500,
		Workers:        4,
		FirstStart:     24 * time.Hour,
		EventGapWait:   time.Minute,
	}
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := Defaults()
	if c.TLSMode == "" {
		c.TLSMode = d.TLSMode
	}
	if _, err := ParseTLSMode(string(c.TLSMode)); err != nil {
		return c, err
	}
	if c.SMTPPort == 0 {
		switch c.TLSMode {
		case TLSImplicit:
			c.SMTPPort = 465
		case TLSNone:
			c.SMTPPort = 25
		default:
			c.SMTPPort = 587
		}
	}
	setDur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	setInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setDur(&c.SMTPTimeout, d.SMTPTimeout)
	setDur(&c.WebhookTimeout, d.WebhookTimeout)
	setDur(&c.Backoff, d.Backoff)
	setDur(&c.BackoffMax, d.BackoffMax)
	setDur(&c.PollInterval, d.PollInterval)
	setDur(&c.SendInterval, d.SendInterval)
	setDur(&c.DigestInterval, d.DigestInterval)
	setDur(&c.FirstStart, d.FirstStart)
	setDur(&c.EventGapWait, d.EventGapWait)
	setInt(&c.MaxAttempts, d.MaxAttempts)
	setInt(&c.BatchSize, d.BatchSize)
	setInt(&c.PageSize, d.PageSize)
	setInt(&c.Workers, d.Workers)
	c.PageSize = min(c.PageSize, store.MaxPage)
	c.BatchSize = min(c.BatchSize, store.MaxPage)
	if c.BackoffMax < c.Backoff {
		c.BackoffMax = c.Backoff
	}
	if c.Lease <= 0 {
		c.Lease = max(2*(c.SMTPTimeout+c.WebhookTimeout), time.Minute)
	}
	if c.Lease <= c.SMTPTimeout || c.Lease <= c.WebhookTimeout {
		return c, fmt.Errorf("notification lease %s must exceed the SMTP timeout (%s) and the webhook timeout (%s)",
			c.Lease, c.SMTPTimeout, c.WebhookTimeout)
	}
	if c.DigestHour < 0 || c.DigestHour > 23 {
		return c, fmt.Errorf("digest hour %d: want 0 to 23 (Japan time)", c.DigestHour)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if !strings.HasPrefix(c.BaseURL, "https://") && !strings.HasPrefix(c.BaseURL, "http://") {
		return c, fmt.Errorf("base URL %q: emails and webhooks link to the site, so its public URL (http:// or https://) is required", c.BaseURL)
	}
	if c.SMTPHost != "" {
		if c.From == "" {
			return c, errors.New("a sender address (From) is required when an SMTP host is set")
		}
		if _, err := mail.ParseAddress(c.From); err != nil {
			return c, fmt.Errorf("sender address %q: %v", c.From, err)
		}
		if c.TLSMode == TLSNone && c.SMTPUsername != "" && !isLocalHost(c.SMTPHost) {
			return c, errors.New("SMTP authentication over an unprotected connection is refused: use starttls or tls")
		}
	}
	return c, nil
}

// Validate checks a configuration as New would, for the command line.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

func isLocalHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// Notifier delivers notifications. Its methods are safe for concurrent use.
type Notifier struct {
	db   *store.DB
	box  *secretbox.Box
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	from *mail.Address
	http *webhookClient

	wakeEvents  chan struct{} // Wake: the event log has grown
	wakeDeliver chan struct{} // Process queued messages
}

// CursorName is the notifier's row in event_cursors.
const CursorName = "notify"

// New returns a notifier. box opens webhook secrets (the key that seals TOTP seeds); now
// and log may be nil.
func New(db *store.DB, box *secretbox.Box, cfg Config, log *slog.Logger, now func() time.Time) (*Notifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if box == nil {
		return nil, errors.New("notify: a secret box is required (webhook secrets are sealed)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	n := &Notifier{db: db, box: box, cfg: cfg, log: log.With("component", "notify"), now: now,
		wakeEvents: make(chan struct{}, 1), wakeDeliver: make(chan struct{}, 1)}
	if cfg.From != "" {
		if n.from, err = mail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("sender address %q: %v", cfg.From, err)
		}
	}
	n.http = newWebhookClient(cfg)
	return n, nil
}

// Config returns the settings in force (defaults filled in).
func (n *Notifier) Config() Config { return n.cfg }

// EmailEnabled reports whether an SMTP server is configured.
func (n *Notifier) EmailEnabled() bool { return n.cfg.SMTPHost != "" }

// Run processes events, digests and deliveries until ctx ends, then waits for the
// messages being sent to finish (each bounded by its timeout) and returns nil. Errors are
// logged and the work is retried at the next tick.
func (n *Notifier) Run(ctx context.Context) error {
	if !n.EmailEnabled() {
		n.log.Info("email notifications are off: no SMTP host configured")
	}
	var wg sync.WaitGroup
	loop := func(name string, every time.Duration, wake <-chan struct{}, step func(context.Context) (int, error), then func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				// Drain: while a step finds work, run it again without waiting.
				for ctx.Err() == nil {
					done, err := step(ctx)
					if err != nil {
						if ctx.Err() == nil {
							n.log.Error("notify step failed", "step", name, "err", err)
						}
						break
					}
					if done == 0 {
						break
					}
					if then != nil {
						then()
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				case <-wake:
				}
			}
		}()
	}
	loop("events", n.cfg.PollInterval, n.wakeEvents, n.Process, func() { signal(n.wakeDeliver) })
	loop("digest", n.cfg.DigestInterval, nil, n.Digest, func() { signal(n.wakeDeliver) })
	loop("deliver", n.cfg.SendInterval, n.wakeDeliver, n.Deliver, nil)
	wg.Wait()
	return nil
}

// Wake tells Run that the event log has grown, so that it looks now rather than at its
// next poll: call it after committing a transaction that wrote an event (the SNS service's
// Signal.Wake), and on PostgreSQL when another node announces one. It never blocks.
func (n *Notifier) Wake() { signal(n.wakeEvents) }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Status is the state of the notifier, for the admin page and metrics.
type Status struct {
	Cursor    int64 // last event processed
	LastEvent int64 // newest event in the log
	store.OutboxCounts
}

// Status returns how far the notifier has got and the size of its queue.
func (n *Notifier) Status(ctx context.Context) (Status, error) {
	c := n.db.Read()
	var s Status
	var err error
	if s.Cursor, _, err = store.GetCursor(ctx, c, CursorName); err != nil {
		return s, err
	}
	if s.LastEvent, err = store.LastEventID(ctx, c); err != nil {
		return s, err
	}
	s.OutboxCounts, err = store.CountOutbox(ctx, c)
	return s, err
}

// jst is Japan time, in which the daily digest hour is given.
var jst = model.LoadLocation(model.DefaultTimeZone)

// link returns the public URL of a path.
func (n *Notifier) link(path string) string { return n.cfg.BaseURL + path }

func topicPath(id int64) string { return fmt.Sprintf("/topics/%d", id) }

func commentPath(topicID, commentID int64) string {
	return fmt.Sprintf("/topics/%d#comment-%d", topicID, commentID)
}

// SettingsPath is the page where a person chooses their notifications.
const SettingsPath = "/settings/notifications"
