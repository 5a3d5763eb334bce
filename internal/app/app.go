// Package app opens the database and builds the services on it: the one place where
// Renkei's parts are wired together, shared by the server, the command line and tests.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/monitor"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/secretbox"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// App holds the open database and the services.
type App struct {
	Config      config.Config
	DB          *store.DB
	Auth        *auth.Service
	Directory   *directory.Service
	Communities *community.Service
	SNS         *sns.Service
	Desk        *desk.Service
	Intel       *intel.Service // indicator sharing: STIX store, TAXII
	Live        *live.Hub      // started by the server (Run), which ends its streams at shutdown
	Notify      *notify.Notifier
	Observe     *observe.Service // observation assets and private notices
	Monitor     *monitor.Monitor // checks of approved assets; run by the server with --monitor
	Box         *secretbox.Box   // seals secrets kept in the database (TAXII subscription credentials)
	Log         *slog.Logger
	Now         func() time.Time
}

// Open connects to the database named by cfg, migrates it and builds the services.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, URL: cfg.Database})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if db.Backend() == store.Postgres {
		// Japanese search needs a UTF-8 database whose parser keeps the tokens as written.
		if err := search.CheckPostgres(ctx, db.Read()); err != nil {
			db.Close()
			return nil, err
		}
	}
	a, err := New(db, cfg, log, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n, err := a.SNS.ReindexStale(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("search index: %w", err)
	} else if n > 0 {
		log.Info("search index rebuilt", "topics", n)
	}
	if err := db.Optimize(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("planner statistics: %w", err)
	}
	return a, nil
}

// New builds the services on an open, migrated database. now may be nil (the real clock).
func New(db *store.DB, cfg config.Config, log *slog.Logger, now func() time.Time) (*App, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	box, err := openBox(cfg)
	if err != nil {
		return nil, err
	}
	hasher := auth.NewHasher(auth.HashParams{
		MemoryKiB: uint32(cfg.HashMemoryMiB) * 1024, Time: uint32(cfg.HashTime), Threads: uint8(cfg.HashThreads),
	}, cfg.HashParallel, cfg.HashQueue)
	ac := auth.DefaultConfig()
	ac.SessionIdle, ac.SessionMax = cfg.SessionIdle, cfg.SessionMax
	snsService := sns.New(db, now, int64(cfg.AttachmentMaxMiB)<<20)
	hub := live.New(db, live.Options{Log: log})
	notifier, err := newNotifier(db, box, cfg, log, now)
	if err != nil {
		return nil, err
	}
	snsService.SetSignal(liveSignal{hub, notifier})
	// Consultation desk.
	deskService, err := newDesk(db, cfg, now)
	if err != nil {
		return nil, err
	}
	deskService.SetSNS(snsService)
	deskService.SetSignal(liveSignal{hub, notifier}) // wakes the notifier for on-call alerts
	hub.SetDesk(deskService)                         // live case events, delivered by the desk's policy check
	// Case files: the same size limit as the SNS's attachments.
	deskService.SetMaxAttachment(int64(cfg.AttachmentMaxMiB) << 20)
	observeService := observe.New(db, now, cfg.NoticeRemindAfter)
	observeService.SetSignal(notifier)
	// Shared values that name an organization's registered assets become its notices.
	deskService.OnFiled(matchCaseObservables(observeService, log))
	intelService := intel.New(db, now, intel.Limits{})
	intelService.OnShared(matchIndicators(observeService, log))
	monCfg := monitor.FromSettings(cfg)
	monCfg.Now = now
	mon, err := monitor.New(db, monCfg, approvedTargets{observeService}, findingSink{observeService}, log)
	if err != nil {
		return nil, err
	}
	return &App{
		Config:      cfg,
		DB:          db,
		Auth:        auth.New(db, hasher, box, ac, now),
		Directory:   directory.New(db, now),
		Communities: community.New(db, now),
		SNS:         snsService,
		Desk:        deskService,
		Intel:       intelService,
		Live:        hub,
		Notify:      notifier,
		Observe:     observeService,
		Monitor:     mon,
		Box:         box,
		Log:         log,
		Now:         now,
	}, nil
}

func newDesk(db *store.DB, cfg config.Config, now func() time.Time) (*desk.Service, error) {
	sla := desk.DefaultSLA()
	if cfg.DeskSLA != "" {
		var err error
		if sla, err = desk.ParseSLA(cfg.DeskSLA); err != nil {
			return nil, fmt.Errorf("--desk-sla: %w", err)
		}
	}
	return desk.New(db, now, sla), nil
}

func openBox(cfg config.Config) (*secretbox.Box, error) {
	var key []byte
	var err error
	if cfg.SecretKey != "" {
		key, err = secretbox.ParseKey(cfg.SecretKey)
	} else {
		key, err = secretbox.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "secret.key"))
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return secretbox.New(key)
}

// liveSignal connects the SNS service's events to the live hub and the notifier.
type liveSignal struct {
	hub      *live.Hub
	notifier *notify.Notifier
}

func (l liveSignal) Notify(ctx context.Context, c store.Conn) error { return live.Notify(ctx, c) }

func (l liveSignal) Wake() {
	l.hub.Wake()
	l.notifier.Wake()
}

func newNotifier(db *store.DB, box *secretbox.Box, cfg config.Config, log *slog.Logger, now func() time.Time) (*notify.Notifier, error) {
	mode, err := notify.ParseTLSMode(cfg.SMTPTLS)
	if err != nil {
		return nil, fmt.Errorf("--smtp-tls: %w", err)
	}
	nc := notify.Config{SMTPHost: cfg.SMTPHost, SMTPPort: cfg.SMTPPort, SMTPUsername: cfg.SMTPUsername, SMTPPassword: cfg.SMTPPassword,
		From: cfg.SMTPFrom, TLSMode: mode, BaseURL: cfg.PublicURL(), DigestHour: cfg.DigestHour,
		WebhookAllowHTTP: cfg.WebhookAllowHTTP, WebhookAllowPrivate: cfg.WebhookAllowPrivate}
	return notify.New(db, box, nc, log, now)
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }
