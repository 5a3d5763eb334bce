package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to tamper with the audit log
	_ "modernc.org/sqlite"             // the "sqlite" driver, to read backups and tamper
)

// orgKinds is the contract of --kind.
var orgKinds = []string{"center", "operator", "organizer", "partner", "venue", "sports", "ministry",
	"police", "security-agency", "cti-vendor", "local-gov", "other"}

// TestScenario walks an operator through every administration command, on each backend.
func TestScenario(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()

		// migrate prints the schema version and can run again.
		out := h.ok("migrate")
		v := match(t, `^database is at schema version (\d+)\n$`, out)
		if n, _ := strconv.Atoi(v); n < 1 {
			t.Fatalf("schema version %s", v)
		}
		if again := h.ok("migrate"); again != out {
			t.Fatalf("second migrate printed %q, first %q", again, out)
		}

		// org add
		out = h.ok("org", "add", "--name", "調整センター", "--name-en", "Coordination Center", "--kind", "center")
		centerID := match(t, `^organization (\d+) added: 調整センター / Coordination Center \(center\)\n$`, out)
		out = h.ok("org", "add", "--name", "東都鉄道", "--kind", "operator", "--sector", "railway")
		railID := match(t, `^organization (\d+) added: 東都鉄道 / 東都鉄道 \(operator\)\n$`, out)
		h.ok("org", "add", "--name", "競技連盟", "--name-en", "Sports Federation", "--kind", "sports")

		h.fail(1, []string{"org", "add", "--name", "東都鉄道", "--kind", "operator"}, "--name")
		h.fail(1, []string{"org", "add", "--name", "新組織", "--kind", "bank"}, append([]string{"--kind", `"bank"`}, orgKinds...)...)
		h.fail(1, []string{"org", "add", "--name", "新組織", "--kind", "operator", "--sector", "mining"}, "--sector", `"mining"`, "railway", "none")
		h.fail(1, []string{"org", "add", "--name", "新組織"}, "--kind is required")
		h.fail(1, []string{"org", "add", "--kind", "other"}, "--name is required")

		// org list: table and JSON
		table := h.ok("org", "list")
		if !strings.HasPrefix(table, "ID") || !strings.Contains(lines(table)[0], "KIND") {
			t.Errorf("org list has no header:\n%s", table)
		}
		row(t, table, railID, "東都鉄道", "operator", "railway", "active")
		row(t, table, centerID, "調整センター", "center", "-", "active")
		if n := len(lines(table)); n != 4 {
			t.Errorf("org list has %d lines, want a header and 3 organizations:\n%s", n, table)
		}
		orgs := decodeLines[model.Org](t, h.ok("org", "list", "--format", "json"))
		if len(orgs) != 3 {
			t.Fatalf("org list --format json gave %d organizations", len(orgs))
		}
		byName := map[string]model.Org{}
		for _, o := range orgs {
			byName[o.NameJA] = o
		}
		if o := byName["東都鉄道"]; o.Kind != "operator" || o.Sector != "railway" || strconv.FormatInt(o.ID, 10) != railID || o.Disabled {
			t.Errorf("railway operator in JSON: %+v", o)
		}
		if o := byName["調整センター"]; o.NameEN != "Coordination Center" || o.Kind != "center" {
			t.Errorf("center in JSON: %+v", o)
		}
		sports := h.ok("org", "list", "--kind", "sports")
		if len(lines(sports)) != 2 || !strings.Contains(sports, "競技連盟") {
			t.Errorf("org list --kind sports:\n%s", sports)
		}
		h.fail(1, []string{"org", "list", "--kind", "bank"}, "--kind")
		h.fail(1, []string{"org", "list", "--format", "xml"}, "--format", "xml")

		// org disable / enable
		if out := h.ok("org", "disable", "--org", "競技連盟"); !strings.Contains(out, "disabled") {
			t.Errorf("org disable printed %q", out)
		}
		row(t, h.ok("org", "list"), "競技連盟", "disabled")
		h.ok("org", "enable", "--org", "競技連盟")
		row(t, h.ok("org", "list"), "競技連盟", "active")
		h.fail(1, []string{"org", "disable", "--org", "存在しない"}, "--org", "存在しない")

		// user add: a one-time sign-in link by default
		out = h.ok("user", "add", "--org", "東都鉄道", "--email", "hanako@rail.example", "--name", "鉄道 花子")
		match(t, `^person \d+ added: 鉄道 花子 <hanako@rail.example>, member of 東都鉄道\n`, out)
		welcome := match(t, `one-time sign-in link \(valid until [^)]+\): http://127\.0\.0\.1:8080/welcome/([A-Za-z0-9_-]{32,})\n$`, out)

		// an org admin, found by organization id, with the link on --base-url
		out = h.ok("user", "add", "--org", railID, "--email", "admin@rail.example", "--name", "鉄道 管理者",
			"--role", "org-admin", "--lang", "en", "--base-url", "https://renkei.example.jp/")
		match(t, `person \d+ added: .* org-admin of 東都鉄道`, out)
		match(t, `: https://renkei\.example\.jp/welcome/[A-Za-z0-9_-]{32,}\n$`, out)

		// RENKEI_BASE_URL sets the link's base when --base-url is absent
		h.env["RENKEI_BASE_URL"] = "https://env.example.jp"
		out = h.ok("user", "add", "--org", "競技連盟", "--email", "coach@sports.example", "--name", "監督")
		match(t, `: https://env\.example\.jp/welcome/[A-Za-z0-9_-]{32,}\n$`, out)
		delete(h.env, "RENKEI_BASE_URL")

		// --initial-password prints a password that signs in (the one expensive hash here)
		out = h.ok("user", "add", "--org", "調整センター", "--email", "chief@center.example", "--name", "センター長",
			"--role", "center-admin", "--initial-password")
		match(t, `person \d+ added: センター長 <chief@center.example>, center-admin of 調整センター`, out)
		password := match(t, `initial password \(shown once[^)]*\): (\S+)\n$`, out)
		if strings.Contains(out, "/welcome/") {
			t.Errorf("--initial-password also printed a link:\n%s", out)
		}

		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "not-an-email", "--name", "X"}, "--email", "not-an-email")
		h.fail(1, []string{"user", "add", "--org", "存在しない", "--email", "x@example.jp", "--name", "X"}, "--org", "存在しない")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp", "--name", "X", "--role", "center-admin"}, "--role", "center-admin")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp", "--name", "X", "--role", "analyst"}, "--role", "analyst")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp", "--name", "X", "--role", "king"},
			"--role", "member", "org-admin", "analyst", "center-admin")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "HANAKO@rail.example", "--name", "X"}, "--email")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp", "--name", "X", "--lang", "fr"}, "--lang")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp", "--name", "X", "--time-zone", "Mars/Olympus"}, "--time-zone")
		h.fail(1, []string{"user", "add", "--org", "東都鉄道", "--email", "x@example.jp"}, "--name is required")

		// user list: table, JSON, --org
		table = h.ok("user", "list")
		if len(lines(table)) != 5 {
			t.Errorf("user list: want a header and 4 people:\n%s", table)
		}
		row(t, table, "hanako@rail.example", railID, "member", "off", "active")
		row(t, table, "admin@rail.example", "org-admin")
		row(t, table, "chief@center.example", centerID, "center-admin")
		people := decodeLines[model.User](t, h.ok("user", "list", "--org", "東都鉄道", "--format", "json"))
		if len(people) != 2 {
			t.Fatalf("user list --org 東都鉄道 gave %d people: %+v", len(people), people)
		}
		for _, u := range people {
			if strconv.FormatInt(u.OrgID, 10) != railID {
				t.Errorf("user list --org returned %s of org %d", u.Email, u.OrgID)
			}
		}
		h.fail(1, []string{"user", "list", "--org", "存在しない"}, "--org")

		a := h.open()
		// the welcome link and the initial password work
		if u, err := a.Auth.LinkUser(ctx, welcome); err != nil || u.Email != "hanako@rail.example" {
			t.Fatalf("welcome link: %v %+v", err, u)
		}
		if _, err := a.Auth.SignIn(ctx, "chief@center.example", password, auth.Client{IP: "192.0.2.1"}); err != nil {
			t.Fatalf("the initial password does not sign in: %v", err)
		}

		// user disable / enable / link / reset-2fa
		if out := h.ok("user", "disable", "--email", "hanako@rail.example"); out != "hanako@rail.example is now disabled\n" {
			t.Errorf("user disable printed %q", out)
		}
		row(t, h.ok("user", "list"), "hanako@rail.example", "disabled")
		if _, err := a.Auth.LinkUser(ctx, welcome); err == nil {
			t.Error("the link of a disabled person still works")
		}
		h.fail(1, []string{"user", "link", "--email", "hanako@rail.example"}, "disabled")
		if out := h.ok("user", "enable", "--email", "hanako@rail.example"); out != "hanako@rail.example is now active\n" {
			t.Errorf("user enable printed %q", out)
		}
		row(t, h.ok("user", "list"), "hanako@rail.example", "active")
		out = h.ok("user", "link", "--email", "hanako@rail.example", "--base-url", "https://renkei.example.jp")
		reset := match(t, `^one-time sign-in link \(valid until [^)]+\): https://renkei\.example\.jp/welcome/([A-Za-z0-9_-]{32,})\n$`, out)
		if u, err := a.Auth.LinkUser(ctx, reset); err != nil || u.Email != "hanako@rail.example" {
			t.Fatalf("user link: %v %+v", err, u)
		}
		if _, err := a.Auth.LinkUser(ctx, welcome); err == nil {
			t.Error("a new link left the earlier one working")
		}
		h.fail(1, []string{"user", "disable", "--email", "nobody@rail.example"}, "--email", "nobody@rail.example")
		h.fail(1, []string{"user", "link", "--email", "nobody@rail.example"}, "--email")
		out = h.ok("user", "reset-2fa", "--email", "chief@center.example")
		if !strings.Contains(out, "chief@center.example") {
			t.Errorf("user reset-2fa printed %q", out)
		}
		h.fail(1, []string{"user", "reset-2fa", "--email", "nobody@rail.example"}, "--email")
		h.fail(1, []string{"user", "disable"}, "--email is required")

		// token create prints the secret, and only it, on stdout
		r := h.run("token", "create", "--user", "hanako@rail.example", "--name", "SIEM 連携")
		if r.code != 0 {
			t.Fatalf("token create:\n%s", r)
		}
		secret := strings.TrimSuffix(r.stdout, "\n")
		if !strings.HasPrefix(secret, auth.TokenPrefix) || strings.ContainsAny(secret, " \n\t") || len(secret) < 40 {
			t.Fatalf("token create stdout is not just a token: %q", r.stdout)
		}
		tokenID := match(t, `^token (\d+) \("SIEM 連携"\) for hanako@rail.example; it is shown only now`, r.stderr)
		if strings.Contains(r.stderr, secret) {
			t.Error("the token also went to stderr")
		}
		p, err := a.Auth.Token(ctx, secret, auth.Client{IP: "192.0.2.2"})
		if err != nil || p.User.Email != "hanako@rail.example" {
			t.Fatalf("the printed token does not authenticate: %v %+v", err, p.User)
		}
		out = h.ok("token", "create", "--user", "admin@rail.example")
		if !strings.HasPrefix(out, auth.TokenPrefix) || out == r.stdout {
			t.Errorf("second token: %q", out)
		}
		h.fail(1, []string{"token", "create", "--user", "nobody@rail.example"}, "--user", "nobody@rail.example")
		h.fail(1, []string{"token", "create", "--user", "hanako@rail.example", "--name", ""}, "--name")
		h.fail(1, []string{"token", "create"}, "--user is required")

		// token list
		table = h.ok("token", "list", "--user", "hanako@rail.example")
		tr := row(t, table, tokenID, "SIEM", "連携", "active")
		if !strings.HasPrefix(strings.Join(tr, " "), tokenID+" SIEM 連携 "+secret[:len(auth.TokenPrefix)+6]) {
			t.Errorf("token row %q does not show the token's prefix", tr)
		}
		if strings.Contains(table, secret) {
			t.Error("token list shows the whole secret")
		}
		if hdr := lines(table)[0]; !strings.Contains(hdr, "LAST USED") || !strings.Contains(hdr, "PREFIX") {
			t.Errorf("token list header: %q", hdr)
		}
		if tr[len(tr)-2] == "-" {
			t.Errorf("token list shows no last use after the token was used: %q", tr)
		}
		if n := len(lines(h.ok("token", "list", "--user", "chief@center.example"))); n != 1 {
			t.Errorf("a person without tokens lists %d lines", n)
		}
		h.fail(1, []string{"token", "list", "--user", "nobody@rail.example"}, "--user")

		// token revoke, twice
		if out := h.ok("token", "revoke", "--id", tokenID); out != "token "+tokenID+" revoked\n" {
			t.Errorf("token revoke printed %q", out)
		}
		row(t, h.ok("token", "list", "--user", "hanako@rail.example"), tokenID, "revoked")
		if _, err := a.Auth.Token(ctx, secret, auth.Client{}); err == nil {
			t.Error("a revoked token still authenticates")
		}
		h.fail(1, []string{"token", "revoke", "--id", tokenID}, "--id", "revoked")
		h.fail(1, []string{"token", "revoke", "--id", "987654"}, "--id")
		h.fail(1, []string{"token", "revoke", "--id", "abc"}, "--id", "abc")
		h.fail(1, []string{"token", "revoke"}, "--id is required")

		// communities
		out = h.ok("community", "add", "--name", "情報提供（プロ）", "--name-en", "Information sharing (pro)",
			"--description", "専門家向け", "--description-en", "For specialists")
		match(t, `^community \d+ created: 情報提供（プロ） / Information sharing \(pro\)\n$`, out)
		out = h.ok("community", "add", "--name", "競技団体")
		match(t, `^community \d+ created: 競技団体 / 競技団体\n$`, out)
		h.fail(1, []string{"community", "add", "--name", "情報提供（プロ）"}, "--name")
		h.fail(1, []string{"community", "add"}, "--name is required")

		if out := h.ok("community", "join", "--community", "情報提供（プロ）", "--org", "東都鉄道"); out != "東都鉄道 is a member of 情報提供（プロ）\n" {
			t.Errorf("community join --org printed %q", out)
		}
		if out := h.ok("community", "join", "--community", "情報提供（プロ）", "--user", "coach@sports.example"); out != "coach@sports.example is a member of 情報提供（プロ）\n" {
			t.Errorf("community join --user printed %q", out)
		}
		h.ok("community", "join", "--community", "競技団体", "--org", "競技連盟")
		h.fail(1, []string{"community", "join", "--community", "情報提供（プロ）", "--org", "東都鉄道", "--user", "coach@sports.example"}, "--org", "--user")
		h.fail(1, []string{"community", "join", "--community", "情報提供（プロ）"}, "--org", "--user")
		h.fail(1, []string{"community", "join", "--org", "東都鉄道"}, "--community is required")
		h.fail(1, []string{"community", "join", "--community", "存在しない", "--org", "東都鉄道"}, "--community", "存在しない")
		h.fail(1, []string{"community", "join", "--community", "情報提供（プロ）", "--org", "存在しない"}, "--org")
		h.fail(1, []string{"community", "join", "--community", "情報提供（プロ）", "--user", "nobody@rail.example"}, "--user")

		table = h.ok("community", "list")
		row(t, table, "情報提供（プロ）", "1", "1")
		row(t, table, "競技団体", "1", "0")
		if len(lines(table)) != 3 {
			t.Errorf("community list: want a header and 2 communities:\n%s", table)
		}
		// membership as the access policy sees it
		hanako, err := a.Directory.FindUser(ctx, auth.System(), "hanako@rail.example")
		if err != nil {
			t.Fatal(err)
		}
		if pr, err := a.Auth.Principal(ctx, hanako.ID); err != nil || len(pr.Actor.Communities) != 1 {
			t.Errorf("hanako's communities after join: %v %+v", err, pr.Actor)
		}

		if out := h.ok("community", "leave", "--community", "情報提供（プロ）", "--org", "東都鉄道"); out != "東都鉄道 is no longer a member of 情報提供（プロ）\n" {
			t.Errorf("community leave printed %q", out)
		}
		h.ok("community", "leave", "--community", "情報提供（プロ）", "--user", "coach@sports.example")
		row(t, h.ok("community", "list"), "情報提供（プロ）", "0", "0")
		h.fail(1, []string{"community", "leave", "--community", "情報提供（プロ）", "--org", "東都鉄道"})
		h.fail(1, []string{"community", "leave", "--community", "情報提供（プロ）"}, "--org", "--user")
		if pr, err := a.Auth.Principal(ctx, hanako.ID); err != nil || len(pr.Actor.Communities) != 0 {
			t.Errorf("hanako's communities after leave: %v %+v", err, pr.Actor)
		}

		// audit list and verify
		recs := decodeLines[model.AuditRecord](t, h.ok("audit", "list", "--limit", "500"))
		seen := map[string]bool{}
		for i, rec := range recs {
			seen[rec.Action] = true
			if i > 0 && rec.Seq >= recs[i-1].Seq {
				t.Errorf("audit list is not newest first: %d after %d", rec.Seq, recs[i-1].Seq)
			}
		}
		for _, want := range []string{"org.created", "org.disabled", "org.enabled", "user.created", "user.disabled", "user.enabled", "auth.link_created",
			"auth.totp_reset", "token.created", "token.revoked", "community.created", "community.member_added", "community.member_removed"} {
			if !seen[want] {
				t.Errorf("audit list lacks %s (has %v)", want, seen)
			}
		}
		if got := decodeLines[model.AuditRecord](t, h.ok("audit", "list", "--limit", "3")); len(got) != 3 || got[0].Seq != recs[0].Seq {
			t.Errorf("audit list --limit 3 gave %d records", len(got))
		}
		toks := decodeLines[model.AuditRecord](t, h.ok("audit", "list", "--action", "token."))
		count := map[string]int{}
		for _, rec := range toks {
			count[rec.Action]++
		}
		if len(toks) != 4 || count["token.created"] != 2 || count["token.used"] != 1 || count["token.revoked"] != 1 {
			t.Errorf("audit list --action token.: %v, want 2 created, 1 used, 1 revoked", count)
		}
		out = h.ok("audit", "verify")
		match(t, `^audit log OK: `+strconv.Itoa(len(recs))+` records, last `+strconv.FormatInt(recs[0].Seq, 10)+`, hash [0-9a-f]{64}\n$`, out)

		// backup: SQLite only
		dir := t.TempDir()
		to := filepath.Join(dir, "copy.db")
		if h.database == "" {
			if out := h.ok("backup", "--to", to); out != "backup written to "+to+"\n" {
				t.Errorf("backup printed %q", out)
			}
			checkBackup(t, to, []string{"調整センター", "東都鉄道", "競技連盟"})
			h.fail(1, []string{"backup", "--to", to}, "--to", "exists")
		} else {
			h.fail(1, []string{"backup", "--to", to}, "pg_dump")
			if _, err := os.Stat(to); err == nil {
				t.Error("backup on PostgreSQL wrote a file")
			}
		}
		h.fail(1, []string{"backup"}, "--to is required")

		// tamper with record 2: verify names it and exits 1
		tamper(t, h, "UPDATE audit_log SET action = 'x' WHERE seq = 2")
		r = h.fail(1, []string{"audit", "verify"}, "BROKEN", "record 2")
		if strings.Contains(r.stderr, "record 20") {
			t.Errorf("verify named the wrong record:\n%s", r)
		}
	})
}

// decodeLines decodes JSON lines, failing the test on anything else.
func decodeLines[T any](t testing.TB, out string) []T {
	t.Helper()
	var all []T
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var v T
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not JSON lines: %v\n%s", err, out)
		}
		all = append(all, v)
	}
	for _, l := range lines(out) {
		if !strings.HasPrefix(l, "{") {
			t.Fatalf("not one JSON object a line:\n%s", out)
		}
	}
	return all
}

// checkBackup opens a backup file on its own and checks that it holds the organizations.
func checkBackup(t *testing.T, path string, names []string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("backup integrity: %v %q", err, check)
	}
	rows, err := db.Query("SELECT name_ja FROM orgs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("backup holds organizations %q, want %q", got, names)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM audit_log").Scan(&n); err != nil || n == 0 {
		t.Errorf("backup audit log: %v, %d records", err, n)
	}
}

// tamper changes the database behind the services' back.
func tamper(t *testing.T, h *harness, stmt string) {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(h.data, "renkei.db")
	if h.database != "" {
		driver, dsn = "pgx", h.database
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(stmt)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s changed %d rows", stmt, n)
	}
}
