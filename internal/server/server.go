// Package server assembles the HTTP handler (pages, API, health, metrics) and runs it:
// TLS, graceful shutdown and the periodic clean-up of expired sessions.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/telemetry"
	"github.com/renkei-dev/renkei/internal/web"
)

// Handler returns the whole site for an app.
func Handler(a *app.App) (http.Handler, error) {
	w, err := web.New(a)
	if err != nil {
		return nil, err
	}
	pages := http.NewServeMux()
	w.Register(pages)
	pages.HandleFunc("GET /problems/{slug}", w.ProblemPage)
	pages.HandleFunc("/", w.NotFound)

	mux := http.NewServeMux()
	// Browsers send cookies; Go's cross-origin protection refuses their cross-site
	// state changes in addition to the per-session CSRF tokens the pages carry.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(w.CrossOriginDenied))
	mux.Handle("/", cop.Handler(pages))
	api.New(a).Register(mux)
	taxii.New(a).Register(mux) // TAXII 2.1 at /taxii2/, blocklist feeds at /feeds/
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			a.Log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unreachable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	telemetry.Default.SetDBStats(a.DB.Stats)
	mux.Handle("GET /metrics", telemetry.Default.Handler(a.Config.MetricsToken))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	return httpx.Base(httpx.Proxies(a.Config.TrustedProxies), observe(a.Log, mux)), nil
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe logs each request and counts it by route pattern (never by raw path, which may
// carry one-time secrets), and turns a handler panic into a 500.
func observe(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "panic", v, "pattern", r.Pattern, "request_id", httpx.RequestID(r))
				if sw.code == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			telemetry.Default.ObserveRequest(r.Method, r.Pattern, sw.code, d)
			level := slog.LevelInfo
			if sw.code >= 500 {
				level = slog.LevelError
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "route", r.Pattern, "path", redactPath(r.URL.Path),
				"status", sw.code, "duration_ms", d.Milliseconds(), "ip", httpx.Client(r).IP, "request_id", httpx.RequestID(r))
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactPath hides the secret of one-time sign-in links.
func redactPath(p string) string {
	if strings.HasPrefix(p, "/welcome/") {
		return "/welcome/…"
	}
	return p
}

// Run serves until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, a *app.App, ready func(addr string)) error {
	h, err := Handler(a)
	if err != nil {
		return err
	}
	cfg := a.Config
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	go sweep(ctx, a)
	// Topics written before their values were indexed get them in the background, a batch
	// at a time: a national installation has a million, and start-up does not wait.
	go a.SNS.RunTopicValuesBackfill(ctx, 50*time.Millisecond, func(n int, err error) {
		if err != nil && ctx.Err() == nil {
			a.Log.Error("topic values backfill", "err", err, "topics", n)
		} else if n > 0 {
			a.Log.Info("topic values indexed", "topics", n)
		}
	})
	// The live hub stops with ctx, which ends the open event streams; Shutdown alone would
	// wait for them.
	go a.Live.Run(ctx)
	go a.Observe.Run(ctx, time.Minute, func(err error) { a.Log.Error("notice reminders", "err", err) })
	if cfg.Monitor {
		// Each check runs once across the nodes that run monitors. They stop when Run returns,
		// which waits for the checks under way.
		monCtx, stopMonitor := context.WithCancel(ctx)
		wait := a.Monitor.Start(monCtx)
		defer func() { stopMonitor(); wait() }()
	}
	if cfg.TaxiiSubscriptions {
		// Scheduled TAXII pulls and pushes; each run is leased to one node.
		subCtx, stopSubs := context.WithCancel(ctx)
		wait := taxii.SubscriptionsOf(a).Start(subCtx)
		defer func() { stopSubs(); wait() }()
	}
	{
		// MISP feed imports run on every node: an uploaded archive is unpacked on the node
		// that received it, and only that node can run it.
		feedCtx, stopFeeds := context.WithCancel(ctx)
		wait := taxii.FeedImportsOf(a).Start(feedCtx)
		defer func() { stopFeeds(); wait() }()
	}
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		if err := a.Notify.Run(ctx); err != nil {
			a.Log.Error("notifier stopped", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shut)
	// Messages already handed to the mail server are recorded as sent before we exit, so
	// that a restart does not send them again.
	<-notified
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweep removes expired sessions and stale throttle entries every few minutes, and
// refreshes the database's planner statistics every few hours.
func sweep(ctx context.Context, a *app.App) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	optimized := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Auth.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("session sweep failed", "err", err)
			}
			if time.Since(optimized) > 3*time.Hour {
				optimized = time.Now()
				if err := a.DB.Optimize(ctx); err != nil && ctx.Err() == nil {
					a.Log.Warn("planner statistics not refreshed", "err", err)
				}
			}
		}
	}
}
