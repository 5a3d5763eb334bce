// Package config holds Renkei's settings and binds them to command-line flags, each of
// which can also come from an environment variable named RENKEI_ plus the flag's name in
// capitals with dashes as underscores (--trusted-proxies → RENKEI_TRUSTED_PROXIES).
// A flag given on the command line wins over the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/secretbox"
)

// Config is every setting of the server.
type Config struct {
	DataDir  string
	Listen   string
	Database string
	Demo     bool
	BaseURL  string

	TLSCert        string
	TLSKey         string
	TrustedProxies []netip.Prefix

	SecretKey     string // base64; when empty, read or create DataDir/secret.key
	SessionIdle   time.Duration
	SessionMax    time.Duration
	MetricsToken  string
	MaxBodyBytes  int64
	LogLevel      string
	LogFormat     string
	HashMemoryMiB int
	HashTime      int
	HashThreads   int
	HashParallel  int // argon2id hashes running at once
	HashQueue     int // sign-ins allowed to wait for a hash slot

	AttachmentMaxMiB int // largest attachment accepted

	// Notifications (email and webhooks).
	SMTPHost            string
	SMTPPort            int
	SMTPUsername        string
	SMTPPassword        string
	SMTPFrom            string
	SMTPTLS             string // none, starttls or tls
	DigestHour          int    // JST
	WebhookAllowHTTP    bool
	WebhookAllowPrivate bool

	// Monitors of approved assets (internal/monitor).
	Monitor            bool    // run them on this node
	MonitorResolver    string  // host:port for DNS and lookalike checks; empty: none
	MonitorConcurrency int     // checks at once on this node
	MonitorHostRate    float64 // connections per second to one host
	MonitorDNSRate     float64 // queries per second to the resolver; 0: no limit
	MonitorPorts       []int   // risky ports looked for on registered addresses; nil: the monitor's list
	// TAXII subscriptions (internal/taxii): run them on this node (each run is taken by one
	// node); accept http:// remote API roots.
	TaxiiSubscriptions bool
	TaxiiAllowHTTP     bool
	TaxiiAllowPrivate  bool // let subscriptions reach loopback and private addresses
	// Consultation desk: SLA clocks per urgency, "critical=30m/8h,high=1h/24h,…"
	// (empty: the defaults of internal/desk).
	DeskSLA string
	// Observation notices: how long one may stay unread before its organization is
	// reminded by email (negative: never).
	NoticeRemindAfter time.Duration
}

// Defaults returns the settings used when nothing is given.
func Defaults() Config {
	return Config{
		DataDir:       "./renkei-data",
		Listen:        "127.0.0.1:8080",
		SessionIdle:   8 * time.Hour,
		SessionMax:    72 * time.Hour,
		MaxBodyBytes:  1 << 20,
		LogLevel:      "info",
		LogFormat:     "text",
		HashMemoryMiB: 64,
		HashTime:      2,
		HashThreads:   2,
		HashParallel:  2,
		HashQueue:     256,

		AttachmentMaxMiB: 25,

		SMTPTLS:    "starttls",
		SMTPFrom:   "Renkei <renkei@localhost>",
		DigestHour: 8,

		MonitorConcurrency: 32,
		TaxiiSubscriptions: true,
		MonitorHostRate:    2,
		MonitorDNSRate:     50,

		NoticeRemindAfter: 24 * time.Hour,
	}
}

// EnvName returns the environment variable that backs a flag.
func EnvName(flagName string) string {
	return "RENKEI_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// BindStorage registers the flags every command that opens the database takes.
func (c *Config) BindStorage(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (SQLite database, secret key)")
	fs.StringVar(&c.Database, "database", c.Database, "database URL: postgres://… for PostgreSQL; empty for SQLite in the data directory")
	fs.StringVar(&c.SecretKey, "secret-key", c.SecretKey, "base64 32-byte key sealing stored secrets; default: DATA/secret.key, created on first start")
}

// BindServe registers the flags of `renkei serve`.
func (c *Config) BindServe(fs *flag.FlagSet) {
	c.BindStorage(fs)
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load the demo data set into an empty database and print the demo sign-ins")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the site, for links (default: derived from --listen)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "TLS certificate file (PEM); serve HTTPS when given with --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "TLS private key file (PEM)")
	fs.Func("trusted-proxies", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-* headers are believed", func(s string) error {
		ps, err := ParsePrefixes(s)
		c.TrustedProxies = ps
		return err
	})
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "a session unused this long ends")
	fs.DurationVar(&c.SessionMax, "session-max", c.SessionMax, "a session ends this long after sign-in")
	fs.StringVar(&c.MetricsToken, "metrics-token", c.MetricsToken, "bearer token required on /metrics (default: open)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest request body accepted by forms and the API, in bytes")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.IntVar(&c.HashMemoryMiB, "argon2-memory", c.HashMemoryMiB, "argon2id memory per password hash, MiB")
	fs.IntVar(&c.HashTime, "argon2-time", c.HashTime, "argon2id passes")
	fs.IntVar(&c.HashThreads, "argon2-threads", c.HashThreads, "argon2id lanes")
	fs.IntVar(&c.HashParallel, "hash-parallel", c.HashParallel, "password hashes running at once (memory = this × argon2-memory)")
	fs.IntVar(&c.HashQueue, "hash-queue", c.HashQueue, "sign-ins that may wait for a hashing slot before the server answers 'busy'")
	fs.IntVar(&c.AttachmentMaxMiB, "attachment-max", c.AttachmentMaxMiB, "largest attachment accepted, MiB")
	fs.StringVar(&c.SMTPHost, "smtp-host", c.SMTPHost, "mail server for notifications (empty: no email; webhooks still work)")
	fs.IntVar(&c.SMTPPort, "smtp-port", c.SMTPPort, "mail server port (default 587 for starttls, 465 for tls, 25 for none)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", c.SMTPUsername, "mail server user (AUTH PLAIN, only over TLS)")
	fs.StringVar(&c.SMTPPassword, "smtp-password", c.SMTPPassword, "mail server password")
	fs.StringVar(&c.SMTPFrom, "smtp-from", c.SMTPFrom, "sender of notification emails")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", c.SMTPTLS, "none, starttls or tls")
	fs.IntVar(&c.DigestHour, "digest-hour", c.DigestHour, "hour of the day (Japan time) when daily digests are sent")
	fs.BoolVar(&c.WebhookAllowHTTP, "webhook-allow-http", c.WebhookAllowHTTP, "accept http:// webhook URLs (closed networks only)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "let webhooks reach private and loopback addresses")
	fs.BoolVar(&c.Monitor, "monitor", c.Monitor, "run the monitors of approved assets on this node (each check runs once across nodes)")
	fs.StringVar(&c.MonitorResolver, "monitor-resolver", c.MonitorResolver, "DNS resolver (host:port) for DNS and lookalike checks; empty: no such checks")
	fs.IntVar(&c.MonitorConcurrency, "monitor-concurrency", c.MonitorConcurrency, "monitor checks running at once on this node")
	fs.Float64Var(&c.MonitorHostRate, "monitor-host-rate", c.MonitorHostRate, "monitor connections per second to one host")
	fs.Float64Var(&c.MonitorDNSRate, "monitor-dns-rate", c.MonitorDNSRate, "monitor DNS queries per second to the resolver (0: no limit)")
	fs.Func("monitor-ports", "comma-separated TCP ports looked for on registered addresses (default: RDP, SMB, Telnet, databases …)", func(s string) error {
		ps, err := ParsePorts(s)
		c.MonitorPorts = ps
		return err
	})
	fs.BoolVar(&c.TaxiiSubscriptions, "taxii-subscriptions", c.TaxiiSubscriptions, "pull and push TAXII subscriptions on this node (each run is taken by one node)")
	fs.BoolVar(&c.TaxiiAllowHTTP, "taxii-allow-http", c.TaxiiAllowHTTP, "accept http:// API roots for TAXII subscriptions (closed networks only)")
	fs.BoolVar(&c.TaxiiAllowPrivate, "taxii-allow-private", c.TaxiiAllowPrivate, "let TAXII subscriptions reach private and loopback addresses (closed networks only)")
	fs.DurationVar(&c.NoticeRemindAfter, "notice-remind-after", c.NoticeRemindAfter, "remind an organization of an observation notice unread this long (negative: never)")
	fs.StringVar(&c.DeskSLA, "desk-sla", c.DeskSLA, "consultation desk SLA per urgency, time to first response/resolution: critical=30m/8h,high=1h/24h,medium=4h/72h,low=24h/168h (empty: these)")
}

// ParsePorts parses a comma-separated list of TCP ports.
func ParsePorts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := strconv.Atoi(part)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q is not a port (1–65535)", part)
		}
		out = append(out, p)
	}
	return out, nil
}

// ApplyEnv sets every flag not given on the command line from its environment variable.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		v, ok := lookup(getenv, EnvName(f.Name))
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: invalid value for --%s: %v", EnvName(f.Name), v, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// Validate checks settings that flags cannot check one by one. Each message names the
// flag and the environment variable behind it, since the value may have come from either.
func (c *Config) Validate() error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, fmt.Errorf("%s and %s must be given together", setting("tls-cert"), setting("tls-key")))
	}
	if c.SessionIdle <= 0 || c.SessionMax <= 0 || c.SessionIdle > c.SessionMax {
		errs = append(errs, fmt.Errorf("%s %s must be positive and at most %s %s", setting("session-idle"), c.SessionIdle, setting("session-max"), c.SessionMax))
	}
	if c.AttachmentMaxMiB < 1 || c.AttachmentMaxMiB > 1024 {
		errs = append(errs, fmt.Errorf("%s %d must be between 1 and 1024 (MiB)", setting("attachment-max"), c.AttachmentMaxMiB))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("%s %d is too small (at least 1024)", setting("max-body"), c.MaxBodyBytes))
	}
	if c.HashMemoryMiB < 8 || c.HashMemoryMiB > 4096 || c.HashTime < 1 || c.HashThreads < 1 || c.HashThreads > 255 {
		errs = append(errs, fmt.Errorf("%s must be 8–4096 MiB, %s ≥ 1, %s 1–255", setting("argon2-memory"), setting("argon2-time"), setting("argon2-threads")))
	}
	if c.HashParallel < 1 || c.HashQueue < 0 {
		errs = append(errs, fmt.Errorf("%s must be ≥ 1 and %s ≥ 0", setting("hash-parallel"), setting("hash-queue")))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("%s %q: want debug, info, warn or error", setting("log-level"), c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("%s %q: want text or json", setting("log-format"), c.LogFormat))
	}
	if c.SecretKey != "" {
		if _, err := secretbox.ParseKey(c.SecretKey); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", setting("secret-key"), err))
		}
	}
	switch {
	case c.Database == "", strings.HasPrefix(c.Database, "postgres://"), strings.HasPrefix(c.Database, "postgresql://"), strings.HasPrefix(c.Database, "sqlite:"):
	default:
		// The URL is not repeated: it may hold a password.
		errs = append(errs, fmt.Errorf("%s: want postgres://…, postgresql://… or sqlite:PATH", setting("database")))
	}
	if c.MonitorConcurrency < 1 || c.MonitorConcurrency > 1024 || c.MonitorHostRate <= 0 || c.MonitorDNSRate < 0 {
		errs = append(errs, fmt.Errorf("%s must be 1–1024, %s > 0 and %s ≥ 0", setting("monitor-concurrency"), setting("monitor-host-rate"), setting("monitor-dns-rate")))
	}
	if c.MonitorResolver != "" {
		if _, _, err := net.SplitHostPort(c.MonitorResolver); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port", setting("monitor-resolver"), c.MonitorResolver))
		}
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		errs = append(errs, fmt.Errorf("%s %q must start with http:// or https://", setting("base-url"), c.BaseURL))
	}
	return errors.Join(errs...)
}

// setting names a flag and its environment variable: "--log-level (RENKEI_LOG_LEVEL)".
func setting(flagName string) string {
	return "--" + flagName + " (" + EnvName(flagName) + ")"
}

// PublicURL is the base of links printed and mailed: --base-url, else derived from --listen.
func (c *Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	host := c.Listen
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return scheme + "://" + host
}

// ParsePrefixes parses a comma-separated list of addresses and CIDRs.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
