package config_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/secretbox"
)

// serveFlags binds the serve flags of a fresh default config and parses args.
func serveFlags(t *testing.T, args ...string) (*config.Config, *flag.FlagSet) {
	t.Helper()
	cfg := config.Defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.BindServe(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &cfg, fs
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvNameIsRenkeiPlusTheFlagInCapitals(t *testing.T) {
	for flagName, want := range map[string]string{
		"data":            "RENKEI_DATA",
		"trusted-proxies": "RENKEI_TRUSTED_PROXIES",
		"argon2-memory":   "RENKEI_ARGON2_MEMORY",
		"secret-key":      "RENKEI_SECRET_KEY",
	} {
		if got := config.EnvName(flagName); got != want {
			t.Errorf("EnvName(%s) = %s, want %s", flagName, got, want)
		}
	}
}

func TestEveryServeFlagHasADefaultThatValidates(t *testing.T) {
	cfg, fs := serveFlags(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n < 20 {
		t.Fatalf("only %d serve flags", n)
	}
}

func TestApplyEnvSetsFlagsFromTheEnvironment(t *testing.T) {
	cfg, fs := serveFlags(t)
	err := config.ApplyEnv(fs, env(map[string]string{
		"RENKEI_DATA":            "/var/lib/renkei",
		"RENKEI_DATABASE":        "postgres://renkei@db/renkei",
		"RENKEI_LISTEN":          ":9090",
		"RENKEI_DEMO":            "true",
		"RENKEI_SESSION_IDLE":    "30m",
		"RENKEI_MAX_BODY":        "2048",
		"RENKEI_ARGON2_MEMORY":   "128",
		"RENKEI_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7, 2001:db8::/32",
		"RENKEI_LOG_FORMAT":      "json",
		"UNRELATED":              "x",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/renkei" || cfg.Database != "postgres://renkei@db/renkei" || cfg.Listen != ":9090" ||
		!cfg.Demo || cfg.SessionIdle != 30*time.Minute || cfg.MaxBodyBytes != 2048 || cfg.HashMemoryMiB != 128 ||
		cfg.LogFormat != "json" {
		t.Fatalf("%+v", cfg)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	if len(cfg.TrustedProxies) != len(want) {
		t.Fatalf("proxies %v", cfg.TrustedProxies)
	}
	for i := range want {
		if cfg.TrustedProxies[i] != want[i] {
			t.Errorf("proxy %d: %v, want %v", i, cfg.TrustedProxies[i], want[i])
		}
	}
	// Untouched settings keep their defaults.
	if cfg.SessionMax != config.Defaults().SessionMax || cfg.LogLevel != "info" {
		t.Errorf("defaults changed: %+v", cfg)
	}
}

func TestACommandLineFlagWinsOverTheEnvironment(t *testing.T) {
	cfg, fs := serveFlags(t, "--data", "/from/flag", "--log-level=debug")
	err := config.ApplyEnv(fs, env(map[string]string{
		"RENKEI_DATA":      "/from/env",
		"RENKEI_LOG_LEVEL": "not-a-level-but-ignored",
		"RENKEI_LISTEN":    "0.0.0.0:80",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/flag" || cfg.LogLevel != "debug" || cfg.Listen != "0.0.0.0:80" {
		t.Fatalf("%+v", cfg)
	}
}

func TestAnEmptyVariableCountsAsUnset(t *testing.T) {
	cfg, fs := serveFlags(t)
	if err := config.ApplyEnv(fs, env(map[string]string{"RENKEI_LISTEN": "", "RENKEI_MAX_BODY": ""})); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != config.Defaults().Listen || cfg.MaxBodyBytes != config.Defaults().MaxBodyBytes {
		t.Fatalf("%+v", cfg)
	}
}

func TestApplyEnvErrorsNameTheVariableAndTheFlag(t *testing.T) {
	_, fs := serveFlags(t)
	err := config.ApplyEnv(fs, env(map[string]string{
		"RENKEI_SESSION_IDLE":    "eight hours",
		"RENKEI_MAX_BODY":        "1MB",
		"RENKEI_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example",
		"RENKEI_LISTEN":          "127.0.0.1:1",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`RENKEI_SESSION_IDLE="eight hours"`, "--session-idle",
		`RENKEI_MAX_BODY="1MB"`, "--max-body",
		"RENKEI_TRUSTED_PROXIES", "--trusted-proxies", `"proxy.example" is not an address or CIDR`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "RENKEI_LISTEN") {
		t.Errorf("a good variable is reported:\n%s", msg)
	}
}

func TestTheSecretKeyComesFromItsVariable(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	text := base64.StdEncoding.EncodeToString(key)
	cfg := config.Defaults()
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg.BindStorage(fs)
	if err := config.ApplyEnv(fs, env(map[string]string{"RENKEI_SECRET_KEY": text})); err != nil {
		t.Fatal(err)
	}
	if cfg.SecretKey != text || cfg.Validate() != nil {
		t.Fatalf("%q %v", cfg.SecretKey, cfg.Validate())
	}
	got, err := secretbox.ParseKey(cfg.SecretKey)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("%v", err)
	}
	// A key of the wrong length is refused by Validate, naming the variable.
	cfg.SecretKey = base64.StdEncoding.EncodeToString(key[:31])
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "RENKEI_SECRET_KEY") || !strings.Contains(err.Error(), "31 bytes") {
		t.Fatalf("%v", err)
	}
}

func TestApplyEnvDefaultsToTheProcessEnvironment(t *testing.T) {
	t.Setenv("RENKEI_DATA", "/from/process")
	cfg := config.Defaults()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	cfg.BindStorage(fs)
	if err := config.ApplyEnv(fs, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/process" {
		t.Fatalf("DataDir %q", cfg.DataDir)
	}
}

func TestValidateNamesTheFlagAndTheVariable(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *config.Config)
		want   []string
	}{
		{"cert without key", func(c *config.Config) { c.TLSCert = "cert.pem" }, []string{"--tls-cert (RENKEI_TLS_CERT)", "--tls-key (RENKEI_TLS_KEY)", "together"}},
		{"key without cert", func(c *config.Config) { c.TLSKey = "key.pem" }, []string{"--tls-cert (RENKEI_TLS_CERT)"}},
		{"idle above max", func(c *config.Config) { c.SessionIdle = 100 * time.Hour }, []string{"--session-idle (RENKEI_SESSION_IDLE) 100h0m0s", "--session-max (RENKEI_SESSION_MAX) 72h0m0s"}},
		{"zero idle", func(c *config.Config) { c.SessionIdle = 0 }, []string{"--session-idle (RENKEI_SESSION_IDLE)"}},
		{"negative max", func(c *config.Config) { c.SessionMax = -time.Hour }, []string{"--session-max (RENKEI_SESSION_MAX)"}},
		{"tiny body", func(c *config.Config) { c.MaxBodyBytes = 1023 }, []string{"--max-body (RENKEI_MAX_BODY) 1023", "1024"}},
		{"little hash memory", func(c *config.Config) { c.HashMemoryMiB = 4 }, []string{"--argon2-memory (RENKEI_ARGON2_MEMORY)"}},
		{"huge hash memory", func(c *config.Config) { c.HashMemoryMiB = 8192 }, []string{"--argon2-memory (RENKEI_ARGON2_MEMORY)"}},
		{"no passes", func(c *config.Config) { c.HashTime = 0 }, []string{"--argon2-time (RENKEI_ARGON2_TIME)"}},
		{"too many lanes", func(c *config.Config) { c.HashThreads = 256 }, []string{"--argon2-threads (RENKEI_ARGON2_THREADS)"}},
		{"no hashing slot", func(c *config.Config) { c.HashParallel = 0 }, []string{"--hash-parallel (RENKEI_HASH_PARALLEL)"}},
		{"negative queue", func(c *config.Config) { c.HashQueue = -1 }, []string{"--hash-queue (RENKEI_HASH_QUEUE)"}},
		{"log level", func(c *config.Config) { c.LogLevel = "verbose" }, []string{`--log-level (RENKEI_LOG_LEVEL) "verbose"`}},
		{"log format", func(c *config.Config) { c.LogFormat = "xml" }, []string{`--log-format (RENKEI_LOG_FORMAT) "xml"`}},
		{"secret key", func(c *config.Config) { c.SecretKey = "c2hvcnQ=" }, []string{"--secret-key (RENKEI_SECRET_KEY)", "5 bytes; want 32"}},
		{"database scheme", func(c *config.Config) { c.Database = "mysql://root:hunter2@db/renkei" }, []string{"--database (RENKEI_DATABASE)", "postgres://"}},
		{"base url", func(c *config.Config) { c.BaseURL = "renkei.example" }, []string{`--base-url (RENKEI_BASE_URL) "renkei.example"`, "http://"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Defaults()
			tc.change(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a database password: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	cfg := config.Defaults()
	cfg.LogLevel, cfg.LogFormat, cfg.MaxBodyBytes = "loud", "yaml", 1
	err := cfg.Validate()
	for _, w := range []string{"--log-level", "--log-format", "--max-body"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %s: %v", w, err)
		}
	}
}

func TestValidateAcceptsGoodSettings(t *testing.T) {
	for name, change := range map[string]func(c *config.Config){
		"tls pair":         func(c *config.Config) { c.TLSCert, c.TLSKey = "c.pem", "k.pem" },
		"idle equals max":  func(c *config.Config) { c.SessionIdle = c.SessionMax },
		"postgres":         func(c *config.Config) { c.Database = "postgres://u:p@h/db" },
		"postgresql":       func(c *config.Config) { c.Database = "postgresql://h/db" },
		"sqlite path":      func(c *config.Config) { c.Database = "sqlite:/var/lib/renkei/r.db" },
		"https base":       func(c *config.Config) { c.BaseURL = "https://renkei.example/" },
		"32-byte key":      func(c *config.Config) { c.SecretKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
		"every log level":  func(c *config.Config) { c.LogLevel = "warn" },
		"hash queue zero":  func(c *config.Config) { c.HashQueue = 0 },
		"hash memory edge": func(c *config.Config) { c.HashMemoryMiB, c.HashThreads = 4096, 255 },
	} {
		cfg := config.Defaults()
		change(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPublicURL(t *testing.T) {
	for _, tc := range []struct {
		change func(c *config.Config)
		want   string
	}{
		{func(c *config.Config) {}, "http://127.0.0.1:8080"},
		{func(c *config.Config) { c.Listen = ":8443"; c.TLSCert = "c.pem" }, "https://localhost:8443"},
		{func(c *config.Config) { c.BaseURL = "https://renkei.example/" }, "https://renkei.example"},
	} {
		cfg := config.Defaults()
		tc.change(&cfg)
		if got := cfg.PublicURL(); got != tc.want {
			t.Errorf("PublicURL() = %s, want %s", got, tc.want)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := config.ParsePrefixes(" 10.1.2.3/8 ,, ::1 , 192.0.2.1 ,")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "::1/128", "192.0.2.1/32"} // masked
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, got[i], want[i])
		}
	}
	if ps, err := config.ParsePrefixes(""); err != nil || len(ps) != 0 {
		t.Errorf("empty: %v %v", ps, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.0/8,300.1.1.1", "1.2.3.4/"} {
		if _, err := config.ParsePrefixes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
