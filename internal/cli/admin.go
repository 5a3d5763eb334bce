package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// The command line acts as the operator: auth.System() holds center-admin rights and is
// recorded as "system" in the audit log.

func orgCommands() []command {
	return []command{
		{"add", "add an organization", orgAdd},
		{"list", "list organizations", orgList},
		{"disable", "disable an organization (its people can no longer sign in)", orgSetDisabled(true)},
		{"enable", "enable an organization again", orgSetDisabled(false)},
	}
}

func orgAdd(e *env, args []string) error {
	fs := flags(e, "org add", "--name NAME [--name-en NAME] --kind KIND [--sector SECTOR]")
	name := fs.String("name", "", "name in Japanese (required)")
	nameEN := fs.String("name-en", "", "name in English (default: the Japanese name)")
	kind := fs.String("kind", "", "center, operator, organizer, partner, venue, sports, ministry, police, security-agency, cti-vendor, local-gov or other (required)")
	sector := fs.String("sector", "", "critical-service sector (telecom, finance, railway, electricity, …) or none")
	a, err := storageCommand(e, fs, args, "name", "kind")
	if err != nil {
		return err
	}
	defer a.Close()
	o, err := a.Directory.CreateOrg(e.ctx, auth.System(), directory.OrgInput{NameJA: *name, NameEN: *nameEN, Kind: *kind, Sector: *sector})
	if err != nil {
		return flagNames(err, map[string]string{"name_ja": "--name", "name_en": "--name-en", "kind": "--kind", "sector": "--sector"})
	}
	fmt.Fprintf(e.stdout, "organization %d added: %s / %s (%s)\n", o.ID, o.NameJA, o.NameEN, o.Kind)
	return nil
}

func orgList(e *env, args []string) error {
	fs := flags(e, "org list", "[--kind KIND] [--format table|json]")
	kind := fs.String("kind", "", "only this kind")
	format := fs.String("format", "table", "table or json")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	var all []model.Org
	for after := int64(0); ; {
		page, err := a.Directory.ListOrgs(e.ctx, auth.System(), directory.OrgQuery{Kind: *kind, IncludeDisabled: true, Page: store.Page{After: after, Limit: store.MaxPage}})
		if err != nil {
			return flagNames(err, map[string]string{"kind": "--kind"})
		}
		all = append(all, page...)
		if len(page) < store.MaxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	if *format == "json" {
		return writeJSONLines(e, all)
	}
	if *format != "table" {
		return fmt.Errorf("--format %q: want table or json", *format)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tNAME (EN)\tKIND\tSECTOR\tSTATUS")
	for _, o := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.NameJA, o.NameEN, o.Kind, dash(string(o.Sector)), status(o.Disabled))
	}
	return tw.Flush()
}

func orgSetDisabled(disabled bool) func(*env, []string) error {
	return func(e *env, args []string) error {
		fs := flags(e, "org "+map[bool]string{true: "disable", false: "enable"}[disabled], "--org ORG")
		ref := fs.String("org", "", "organization id or name (required)")
		a, err := storageCommand(e, fs, args, "org")
		if err != nil {
			return err
		}
		defer a.Close()
		o, err := a.Directory.FindOrg(e.ctx, auth.System(), *ref)
		if err != nil {
			return flagNames(err, map[string]string{"": "--org"})
		}
		in := directory.OrgInput{NameJA: o.NameJA, NameEN: o.NameEN, Kind: string(o.Kind), Sector: string(o.Sector), Contacts: o.Contacts, Disabled: disabled}
		if _, err := a.Directory.UpdateOrg(e.ctx, auth.System(), o.ID, in); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "organization %d is now %s\n", o.ID, status(disabled))
		return nil
	}
}

func userCommands() []command {
	return []command{
		{"add", "add a person and print a one-time sign-in link (or an initial password)", userAdd},
		{"list", "list people", userList},
		{"disable", "disable a person (signs them out at once)", userSetDisabled(true)},
		{"enable", "enable a person again", userSetDisabled(false)},
		{"link", "print a new one-time sign-in link for a person", userLink},
		{"reset-2fa", "remove a person's second factor (lost device)", userResetTOTP},
	}
}

func userAdd(e *env, args []string) error {
	fs := flags(e, "user add", "--org ORG --email EMAIL --name NAME [--role member|org-admin|analyst|center-admin]")
	org := fs.String("org", "", "organization id or name (required)")
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "member", "member, org-admin, analyst or center-admin")
	lang := fs.String("lang", "ja", "ja or en")
	tz := fs.String("time-zone", model.DefaultTimeZone, "IANA time zone")
	initial := fs.Bool("initial-password", false, "print a generated initial password instead of a sign-in link")
	baseURL := fs.String("base-url", "", "public URL of the site, for the link (default http://127.0.0.1:8080)")
	a, err := storageCommand(e, fs, args, "org", "email", "name")
	if err != nil {
		return err
	}
	defer a.Close()
	sys := auth.System()
	o, err := a.Directory.FindOrg(e.ctx, sys, *org)
	if err != nil {
		return flagNames(err, map[string]string{"": "--org"})
	}
	u, err := a.Directory.CreateUser(e.ctx, sys, directory.UserInput{OrgID: o.ID, Email: *email, DisplayName: *name, Role: *role, Lang: *lang, TimeZone: *tz})
	if err != nil {
		return flagNames(err, map[string]string{"email": "--email", "display_name": "--name", "role": "--role", "lang": "--lang", "time_zone": "--time-zone", "org_id": "--org"})
	}
	fmt.Fprintf(e.stdout, "person %d added: %s <%s>, %s of %s\n", u.ID, u.DisplayName, u.Email, u.Role(), o.NameJA)
	return printCredential(e, a.Auth, u, *initial, *baseURL, auth.LinkWelcome)
}

func printCredential(e *env, as *auth.Service, u model.User, initial bool, baseURL, purpose string) error {
	if initial {
		pw := auth.GeneratePassword()
		if err := as.SetInitialPassword(e.ctx, u.ID, pw); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "initial password (shown once; ask them to change it): %s\n", pw)
		return nil
	}
	secret, expires, err := as.CreateLink(e.ctx, auth.System(), u, purpose)
	if err != nil {
		return err
	}
	if baseURL == "" {
		baseURL = e.getenv("RENKEI_BASE_URL")
	}
	if baseURL == "" {
		baseURL = "http://127.0.0.1:8080"
	}
	fmt.Fprintf(e.stdout, "one-time sign-in link (valid until %s): %s/welcome/%s\n",
		expires.In(model.LoadLocation("")).Format("2006-01-02 15:04 MST"), trimSlash(baseURL), secret)
	return nil
}

func userList(e *env, args []string) error {
	fs := flags(e, "user list", "[--org ORG] [--format table|json]")
	org := fs.String("org", "", "only this organization (id or name)")
	format := fs.String("format", "table", "table or json")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := auth.System()
	var orgID int64
	if *org != "" {
		o, err := a.Directory.FindOrg(e.ctx, sys, *org)
		if err != nil {
			return flagNames(err, map[string]string{"": "--org"})
		}
		orgID = o.ID
	}
	var all []model.User
	for after := int64(0); ; {
		page, err := a.Directory.ListUsers(e.ctx, sys, directory.UserQuery{OrgID: orgID, IncludeDisabled: true, Page: store.Page{After: after, Limit: store.MaxPage}})
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < store.MaxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	if *format == "json" {
		return writeJSONLines(e, all)
	}
	if *format != "table" {
		return fmt.Errorf("--format %q: want table or json", *format)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tORG\tROLE\t2FA\tSTATUS")
	for _, u := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", u.ID, u.Email, u.DisplayName, u.OrgID, u.Role(), onOff(u.TOTPEnabled), status(u.Disabled))
	}
	return tw.Flush()
}

// findUser resolves --email for user subcommands.
func findUser(e *env, fsName string, args []string, extra func(*commandFlags)) (*commandFlags, error) {
	cf := &commandFlags{fs: flags(e, fsName, "--email EMAIL")}
	cf.email = cf.fs.String("email", "", "the person's email address (required)")
	if extra != nil {
		extra(cf)
	}
	a, err := storageCommand(e, cf.fs, args, "email")
	if err != nil {
		return nil, err
	}
	cf.app = a
	u, err := a.Directory.FindUser(e.ctx, auth.System(), *cf.email)
	if err != nil {
		a.Close()
		return nil, flagNames(err, map[string]string{"": "--email"})
	}
	cf.user = u
	return cf, nil
}

func userSetDisabled(disabled bool) func(*env, []string) error {
	return func(e *env, args []string) error {
		cf, err := findUser(e, "user "+map[bool]string{true: "disable", false: "enable"}[disabled], args, nil)
		if err != nil {
			return err
		}
		defer cf.app.Close()
		if _, err := cf.app.Directory.UpdateUser(e.ctx, auth.System(), cf.user.ID, directory.UserPatch{Disabled: &disabled}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is now %s\n", cf.user.Email, status(disabled))
		return nil
	}
}

func userLink(e *env, args []string) error {
	var initial *bool
	var baseURL *string
	cf, err := findUser(e, "user link", args, func(cf *commandFlags) {
		initial = cf.fs.Bool("initial-password", false, "print a generated password instead of a link")
		baseURL = cf.fs.String("base-url", "", "public URL of the site, for the link")
	})
	if err != nil {
		return err
	}
	defer cf.app.Close()
	return printCredential(e, cf.app.Auth, cf.user, *initial, *baseURL, auth.LinkReset)
}

func userResetTOTP(e *env, args []string) error {
	cf, err := findUser(e, "user reset-2fa", args, nil)
	if err != nil {
		return err
	}
	defer cf.app.Close()
	if err := cf.app.Auth.ResetTOTP(e.ctx, auth.System(), cf.user); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "two-step verification of %s was reset; they are signed out everywhere\n", cf.user.Email)
	return nil
}

func tokenCommands() []command {
	return []command{
		{"create", "create an API token for a person and print it once", tokenCreate},
		{"list", "list a person's tokens", tokenList},
		{"revoke", "revoke a token by id", tokenRevoke},
	}
}

func tokenCreate(e *env, args []string) error {
	var name *string
	cf, err := findUserFlag(e, "token create", "--user EMAIL [--name NAME]", args, func(cf *commandFlags) {
		name = cf.fs.String("name", "command line", "what the token is for")
	})
	if err != nil {
		return err
	}
	defer cf.app.Close()
	secret, t, err := cf.app.Auth.CreateToken(e.ctx, auth.System(), cf.user.ID, *name)
	if err != nil {
		return flagNames(err, map[string]string{"name": "--name"})
	}
	fmt.Fprintf(e.stderr, "token %d (%q) for %s; it is shown only now:\n", t.ID, t.Name, cf.user.Email)
	fmt.Fprintln(e.stdout, secret)
	return nil
}

func tokenList(e *env, args []string) error {
	cf, err := findUserFlag(e, "token list", "--user EMAIL", args, nil)
	if err != nil {
		return err
	}
	defer cf.app.Close()
	ts, err := cf.app.Auth.Tokens(e.ctx, cf.user.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tSTATUS")
	loc := model.LoadLocation("")
	for _, t := range ts {
		st := "active"
		if !t.Active() {
			st = "revoked"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.CreatedAt.In(loc).Format("2006-01-02 15:04"), fmtTime(t.LastUsedAt), st)
	}
	return tw.Flush()
}

func tokenRevoke(e *env, args []string) error {
	fs := flags(e, "token revoke", "--id ID")
	id := fs.String("id", "", "token id, as shown by 'renkei token list' (required)")
	a, err := storageCommand(e, fs, args, "id")
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := strconv.ParseInt(*id, 10, 64)
	if err != nil {
		return fmt.Errorf("--id %q is not a number", *id)
	}
	if err := a.Auth.RevokeToken(e.ctx, auth.System(), n); err != nil {
		return flagNames(err, map[string]string{"": "--id"})
	}
	fmt.Fprintf(e.stdout, "token %d revoked\n", n)
	return nil
}

// findUserFlag is findUser with the person named by --user.
func findUserFlag(e *env, name, synopsis string, args []string, extra func(*commandFlags)) (*commandFlags, error) {
	cf := &commandFlags{fs: flags(e, name, synopsis)}
	cf.email = cf.fs.String("user", "", "the person's email address (required)")
	if extra != nil {
		extra(cf)
	}
	a, err := storageCommand(e, cf.fs, args, "user")
	if err != nil {
		return nil, err
	}
	cf.app = a
	u, err := a.Directory.FindUser(e.ctx, auth.System(), *cf.email)
	if err != nil {
		a.Close()
		return nil, flagNames(err, map[string]string{"": "--user"})
	}
	cf.user = u
	return cf, nil
}

func communityCommands() []command {
	return []command{
		{"add", "create a community", communityAdd},
		{"list", "list communities", communityList},
		{"join", "add an organization (--org) or a person (--user) to a community", communityJoin(true)},
		{"leave", "remove an organization (--org) or a person (--user) from a community", communityJoin(false)},
	}
}

func communityAdd(e *env, args []string) error {
	fs := flags(e, "community add", "--name NAME [--name-en NAME] [--description TEXT]")
	name := fs.String("name", "", "name in Japanese (required)")
	nameEN := fs.String("name-en", "", "name in English (default: the Japanese name)")
	desc := fs.String("description", "", "description in Japanese")
	descEN := fs.String("description-en", "", "description in English")
	a, err := storageCommand(e, fs, args, "name")
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.Communities.Create(e.ctx, auth.System(), community.Input{NameJA: *name, NameEN: *nameEN, DescriptionJA: *desc, DescriptionEN: *descEN})
	if err != nil {
		return flagNames(err, map[string]string{"name_ja": "--name", "name_en": "--name-en", "description_ja": "--description", "description_en": "--description-en"})
	}
	fmt.Fprintf(e.stdout, "community %d created: %s / %s\n", c.ID, c.NameJA, c.NameEN)
	return nil
}

func communityList(e *env, args []string) error {
	fs := flags(e, "community list", "")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tNAME (EN)\tORGS\tPEOPLE")
	for after := int64(0); ; {
		page, err := a.Communities.List(e.ctx, auth.System(), store.Page{After: after, Limit: store.MaxPage})
		if err != nil {
			return err
		}
		for _, c := range page {
			orgs, people, err := store.CountMembers(e.ctx, a.DB.Read(), c.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\n", c.ID, c.NameJA, c.NameEN, orgs, people)
		}
		if len(page) < store.MaxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	return tw.Flush()
}

func communityJoin(join bool) func(*env, []string) error {
	return func(e *env, args []string) error {
		verb := map[bool]string{true: "join", false: "leave"}[join]
		fs := flags(e, "community "+verb, "--community NAME (--org ORG | --user EMAIL)")
		cref := fs.String("community", "", "community id or name (required)")
		org := fs.String("org", "", "organization id or name")
		user := fs.String("user", "", "person's email address")
		a, err := storageCommand(e, fs, args, "community")
		if err != nil {
			return err
		}
		defer a.Close()
		if (*org == "") == (*user == "") {
			return fmt.Errorf("give exactly one of --org and --user")
		}
		sys := auth.System()
		c, err := a.Communities.Find(e.ctx, sys, *cref)
		if err != nil {
			return flagNames(err, map[string]string{"": "--community"})
		}
		var who string
		if *org != "" {
			o, err := a.Directory.FindOrg(e.ctx, sys, *org)
			if err != nil {
				return flagNames(err, map[string]string{"": "--org"})
			}
			who = o.NameJA
			if join {
				err = a.Communities.AddOrg(e.ctx, sys, c.ID, o.ID)
			} else {
				err = a.Communities.RemoveOrg(e.ctx, sys, c.ID, o.ID)
			}
			if err != nil {
				return err
			}
		} else {
			u, err := a.Directory.FindUser(e.ctx, sys, *user)
			if err != nil {
				return flagNames(err, map[string]string{"": "--user"})
			}
			who = u.Email
			if join {
				err = a.Communities.AddUser(e.ctx, sys, c.ID, u.ID)
			} else {
				err = a.Communities.RemoveUser(e.ctx, sys, c.ID, u.ID)
			}
			if err != nil {
				return err
			}
		}
		if join {
			fmt.Fprintf(e.stdout, "%s is a member of %s\n", who, c.NameJA)
		} else {
			fmt.Fprintf(e.stdout, "%s is no longer a member of %s\n", who, c.NameJA)
		}
		return nil
	}
}

func auditCommands() []command {
	return []command{
		{"verify", "check the hash chain of the audit log; exits 1 at the first broken record", auditVerify},
		{"list", "print the newest audit records as JSON lines", auditList},
	}
}

func auditVerify(e *env, args []string) error {
	fs := flags(e, "audit verify", "[--data DIR] [--database URL]")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := audit.Verify(e.ctx, a.DB)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("audit log BROKEN at record %d: %s (%d records before it verified)", rep.BrokenAt, rep.Reason, rep.Records)
	}
	fmt.Fprintf(e.stdout, "audit log OK: %d records, last %d, hash %s\n", rep.Records, rep.LastSeq, rep.LastHash)
	return nil
}

func auditList(e *env, args []string) error {
	fs := flags(e, "audit list", "[--limit N] [--action ACTION]")
	limit := fs.Int("limit", 50, "how many records (at most 500)")
	action := fs.String("action", "", "only this action, or a prefix ending in a dot")
	a, err := storageCommand(e, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	recs, err := audit.List(e.ctx, a.DB, auth.System().Actor, audit.Query{Action: *action, Limit: *limit})
	if err != nil {
		return err
	}
	return writeJSONLines(e, recs)
}

type commandFlags struct {
	fs    *flag.FlagSet
	email *string
	app   *app.App
	user  model.User
}

func writeJSONLines[T any](e *env, items []T) error {
	enc := json.NewEncoder(e.stdout)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
