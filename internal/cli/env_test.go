package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func dbExists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "renkei.db"))
	return err == nil
}

// TestEnvironment: every flag also comes from RENKEI_<FLAG>; a flag on the command line wins.
func TestEnvironment(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()

	// RENKEI_DATA selects the data directory when --data is absent
	r := runCLI(t, map[string]string{"RENKEI_DATA": a}, "org", "add", "--name", "環境組織", "--kind", "other")
	if r.code != 0 {
		t.Fatalf("org add with RENKEI_DATA:\n%s", r)
	}
	if !dbExists(a) {
		t.Fatal("RENKEI_DATA did not select the data directory")
	}
	r = runCLI(t, nil, "org", "list", "--data", a)
	if r.code != 0 || !strings.Contains(r.stdout, "環境組織") {
		t.Fatalf("the organization is not in RENKEI_DATA's database:\n%s", r)
	}

	// --data wins over RENKEI_DATA
	r = runCLI(t, map[string]string{"RENKEI_DATA": b}, "org", "add", "--name", "フラグ組織", "--kind", "other", "--data", a)
	if r.code != 0 {
		t.Fatalf("org add with --data and RENKEI_DATA:\n%s", r)
	}
	if dbExists(b) {
		t.Error("RENKEI_DATA was used although --data was given")
	}
	r = runCLI(t, map[string]string{"RENKEI_DATA": b}, "org", "list", "--data", a)
	if !strings.Contains(r.stdout, "フラグ組織") || !strings.Contains(r.stdout, "環境組織") {
		t.Errorf("--data did not win:\n%s", r)
	}

	// command flags come from the environment too, and lose to the command line
	env := map[string]string{"RENKEI_DATA": a, "RENKEI_FORMAT": "json"}
	r = runCLI(t, env, "org", "list")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("RENKEI_FORMAT=json ignored:\n%s", r)
	}
	r = runCLI(t, env, "org", "list", "--format", "table")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ID") {
		t.Errorf("--format table did not win over RENKEI_FORMAT:\n%s", r)
	}
	env["RENKEI_FORMAT"] = "yaml"
	checkFail(t, runCLI(t, env, "org", "list"), 1, "--format", "yaml")

	// an empty variable counts as unset
	r = runCLI(t, map[string]string{"RENKEI_DATA": a, "RENKEI_FORMAT": ""}, "org", "list")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ID") {
		t.Errorf("an empty RENKEI_FORMAT was not ignored:\n%s", r)
	}

	// storage settings that are wrong name their flag and variable, and create nothing
	c := t.TempDir()
	r = runCLI(t, map[string]string{"RENKEI_DATA": c, "RENKEI_SECRET_KEY": "not base64!"}, "org", "list")
	checkFail(t, r, 1, "RENKEI_SECRET_KEY", "--secret-key")
	r = runCLI(t, map[string]string{"RENKEI_DATA": c, "RENKEI_DATABASE": "mysql://root:hunter2@db/renkei"}, "migrate")
	checkFail(t, r, 1, "RENKEI_DATABASE", "--database")
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("the error repeats the database password:\n%s", r)
	}
	if dbExists(c) {
		t.Error("a command with a bad setting created a database")
	}
	r = runCLI(t, map[string]string{"RENKEI_DATA": a}, "migrate", "--secret-key", "c2hvcnQ=")
	checkFail(t, r, 1, "--secret-key", "32")
}

// TestServeSettings: the settings of serve are checked before anything starts, and a bad
// one, from a flag or from the environment, is named.
func TestServeSettings(t *testing.T) {
	t.Parallel()
	base := func(t *testing.T) map[string]string {
		return map[string]string{"RENKEI_DATA": t.TempDir(), "RENKEI_LISTEN": "127.0.0.1:0"}
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"env log level", map[string]string{"RENKEI_LOG_LEVEL": "loud"}, nil, 1, []string{"RENKEI_LOG_LEVEL", "loud"}},
		{"env log format", map[string]string{"RENKEI_LOG_FORMAT": "xml"}, nil, 1, []string{"RENKEI_LOG_FORMAT", "xml"}},
		{"env duration", map[string]string{"RENKEI_SESSION_IDLE": "xyz"}, nil, 1, []string{"RENKEI_SESSION_IDLE", "xyz", "--session-idle"}},
		{"env int", map[string]string{"RENKEI_ARGON2_MEMORY": "lots"}, nil, 1, []string{"RENKEI_ARGON2_MEMORY", "lots"}},
		{"env bool", map[string]string{"RENKEI_DEMO": "maybe"}, nil, 1, []string{"RENKEI_DEMO", "maybe"}},
		{"env proxies", map[string]string{"RENKEI_TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip"}, nil, 1, []string{"RENKEI_TRUSTED_PROXIES", "not-an-ip"}},
		{"env range", map[string]string{"RENKEI_ARGON2_MEMORY": "1"}, nil, 1, []string{"--argon2-memory", "RENKEI_ARGON2_MEMORY"}},
		{"two bad variables", map[string]string{"RENKEI_SESSION_MAX": "soon", "RENKEI_MAX_BODY": "big"}, nil, 1, []string{"RENKEI_SESSION_MAX", "RENKEI_MAX_BODY"}},
		{"tls cert alone", nil, []string{"--tls-cert", "cert.pem"}, 1, []string{"--tls-cert", "--tls-key"}},
		{"tls key alone from env", map[string]string{"RENKEI_TLS_KEY": "key.pem"}, nil, 1, []string{"--tls-cert", "--tls-key"}},
		{"idle beyond max", nil, []string{"--session-idle", "100h", "--session-max", "10h"}, 1, []string{"--session-idle", "--session-max"}},
		{"zero idle", nil, []string{"--session-idle", "0s"}, 1, []string{"--session-idle"}},
		{"small body", nil, []string{"--max-body", "10"}, 1, []string{"--max-body"}},
		{"argon2 threads", nil, []string{"--argon2-threads", "0"}, 1, []string{"--argon2-threads"}},
		{"hash parallel", nil, []string{"--hash-parallel", "0"}, 1, []string{"--hash-parallel"}},
		{"hash queue", nil, []string{"--hash-queue", "-1"}, 1, []string{"--hash-queue"}},
		{"log level flag", nil, []string{"--log-level", "loud"}, 1, []string{"--log-level", "loud"}},
		{"base url", nil, []string{"--base-url", "ftp://renkei.example.jp"}, 1, []string{"--base-url"}},
		{"bad duration flag", nil, []string{"--session-idle", "xyz"}, 2, []string{"-session-idle", "xyz"}},
		{"bad proxies flag", nil, []string{"--trusted-proxies", "1.2.3.x"}, 2, []string{"-trusted-proxies", "1.2.3.x"}},
		{"bad listen", nil, []string{"--listen", "nonsense"}, 1, []string{"nonsense"}},
		// the flag wins: only the TLS error remains
		{"flag beats env", map[string]string{"RENKEI_LOG_LEVEL": "loud"}, []string{"--log-level", "debug", "--tls-cert", "c.pem"}, 1, []string{"--tls-key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := base(t)
			for k, v := range c.env {
				env[k] = v
			}
			r := runBounded(t, env, append([]string{"serve"}, c.args...)...)
			checkFail(t, r, c.code, c.want...)
			if c.name == "flag beats env" && strings.Contains(r.stderr, "loud") {
				t.Errorf("RENKEI_LOG_LEVEL was applied although --log-level was given:\n%s", r)
			}
			if c.code == 2 && strings.Contains(r.stderr, "renkei is serving") {
				t.Errorf("serve started:\n%s", r)
			}
		})
	}
}
