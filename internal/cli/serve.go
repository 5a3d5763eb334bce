package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/server"
)

func newLogger(e *env, cfg config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func runServe(e *env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "serve", "[--data DIR] [--listen ADDR] [--database URL] [--demo]")
	cfg.BindServe(fs)
	if err := parse(e, fs, args, &cfg); err != nil {
		return err
	}
	log := newLogger(e, cfg)
	a, err := open(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	a.Log = log
	if cfg.Demo {
		res, err := demo.Load(e.ctx, a)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		printDemo(e, res, cfg)
	}
	return server.Run(e.ctx, a, func(addr string) {
		where := "SQLite " + a.DB.Path()
		if a.DB.Path() == "" {
			where = "PostgreSQL"
		}
		log.Info("renkei is serving", "addr", addr, "url", cfg.PublicURL(), "database", where, "version", Version)
	})
}

func printDemo(e *env, res demo.Result, cfg config.Config) {
	if !res.Loaded {
		fmt.Fprintln(e.stdout, "Demo data: the database already has data, so nothing was loaded.")
		return
	}
	fmt.Fprintf(e.stdout, "Demo data loaded: %d organizations, %d people, %d communities.\n", res.Orgs, res.Users, res.Communities)
	fmt.Fprintf(e.stdout, "Open %s and sign in with one of these (password for all: %s):\n", cfg.PublicURL(), res.Password)
	for _, s := range res.SignIns {
		fmt.Fprintf(e.stdout, "  %-34s %s\n", s.Email, s.Note)
	}
	fmt.Fprintln(e.stdout, "Center staff must set up two-step verification (any authenticator app) at first sign-in.")
	fmt.Fprintln(e.stdout, strings.Repeat("-", 72))
}

func runDemo(e *env, args []string) error {
	fs := flags(e, "demo", "[--data DIR] [--database URL]")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := demo.Load(e.ctx, a)
	if err != nil {
		return err
	}
	printDemo(e, res, a.Config)
	return nil
}

func runMigrate(e *env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "migrate", "[--data DIR] [--database URL]")
	cfg.BindStorage(fs)
	if err := parse(e, fs, args, &cfg); err != nil {
		return err
	}
	a, err := open(e, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.SchemaVersion(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database is at schema version %d\n", v)
	return nil
}

func runBackup(e *env, args []string) error {
	fs := flags(e, "backup", "--to FILE [--data DIR]")
	to := fs.String("to", "", "file to write the copy to (must not exist)")
	a, err := storageCommand(e, fs, args, "to")
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := os.Stat(*to); err == nil {
		return fmt.Errorf("--to %s: file exists; choose a new name", *to)
	}
	if err := a.DB.Backup(e.ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s\n", *to)
	return nil
}
