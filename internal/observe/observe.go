// Package observe is the center's observation notices (観測情報): the assets each
// organization registers (domains, URLs, IP addresses and ranges, brand keywords), which
// the center approves before anything is watched; the private notices sent to one
// organization each, written by analysts, made from the monitors' findings or from
// matches of shared intelligence; who read them and when; reminders of unread notices;
// and the time-to-read figures. Every read and write asks the policy package first.
package observe

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits.
const (
	MaxValueLen      = 2048 // a URL, a domain, an address
	MaxContactLen    = 200
	MaxKeywordLen    = 64
	MinKeywordLen    = 3
	MinPrefixV4      = 16 // the widest IPv4 range accepted: 65,536 addresses
	MinPrefixV6      = 48
	MaxImportLines   = 5000
	MaxImportBytes   = 1 << 20
	MaxTitleLen      = 200
	MaxBodyLen       = 20_000
	MaxActionLen     = 5_000
	MaxRecipients    = 1000 // organizations of one hand-written notice
	MaxEvidence      = 50   // entries of a finding's evidence
	MaxEvidenceLen   = 2000 // characters of one evidence value
	MaxMatchValues   = 10_000
	DefaultRemindAft = 24 * time.Hour
)

// Asset kinds.
const (
	KindDomain  = "domain"
	KindURL     = "url"
	KindIP      = "ip"
	KindCIDR    = "cidr"
	KindKeyword = "keyword"
)

// AssetKinds lists the kinds of asset in the order forms offer them.
var AssetKinds = []string{KindDomain, KindURL, KindIP, KindCIDR, KindKeyword}

// Asset statuses.
const (
	StatusProposed = "proposed"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// Asset is a registered asset.
type Asset = store.Asset

// Service is the observation service.
type Service struct {
	db          *store.DB
	now         func() time.Time
	remindAfter time.Duration
	signal      Signal
}

// Signal tells listeners (the notifier) that something was queued.
type Signal interface{ Wake() }

// New returns the service. remindAfter is how long a notice may stay unread before its
// organization is reminded (0: DefaultRemindAft; negative: never).
func New(db *store.DB, now func() time.Time, remindAfter time.Duration) *Service {
	if now == nil {
		now = time.Now
	}
	if remindAfter == 0 {
		remindAfter = DefaultRemindAft
	}
	return &Service{db: db, now: now, remindAfter: remindAfter}
}

// SetSignal connects the notifier, woken when reminders are queued.
func (s *Service) SetSignal(sig Signal) { s.signal = sig }

// RemindAfter is how long a notice stays unread before a reminder.
func (s *Service) RemindAfter() time.Duration { return s.remindAfter }

func notFound() error { return fault.New(fault.NotFound, "error.not_found") }

func forbidden() error { return fault.New(fault.Forbidden, "error.forbidden") }

// ---- Normalising assets ----

// AssetInput is an asset as typed.
type AssetInput struct {
	OrgID   int64
	Kind    string
	Value   string
	Contact string
}

// normalize checks an asset's value and fills the keys that decide ownership.
func normalize(in AssetInput) (store.Asset, error) {
	a := store.Asset{OrgID: in.OrgID, Kind: strings.ToLower(strings.TrimSpace(in.Kind))}
	var errs fault.List
	var err error
	if a.Contact, err = model.CleanText(in.Contact, MaxContactLen, false); err != nil {
		errs.AddErr("contact", err)
	}
	v := strings.TrimSpace(in.Value)
	switch {
	case v == "":
		errs.Add("value", "invalid.required")
	case len(v) > MaxValueLen:
		errs.Add("value", "invalid.too_long", "max", MaxValueLen)
	default:
		if err := fill(&a, v); err != nil {
			errs.AddErr("value", err)
		}
	}
	return a, errs.Err()
}

func fill(a *store.Asset, v string) error {
	switch a.Kind {
	case KindDomain:
		h, err := hostName(strings.TrimSuffix(v, "."))
		if err != nil {
			return err
		}
		a.Value, a.HostRev = h, reverseHost(h)
	case KindURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fault.New(fault.Invalid, "observe.bad_url")
		}
		h := u.Hostname()
		if ip, err := netip.ParseAddr(h); err == nil {
			lo := addrKey(ip.Unmap())
			a.AddrLo, a.AddrHi = lo, lo
		} else {
			if h, err = hostName(h); err != nil {
				return err
			}
			a.HostRev = reverseHost(h)
		}
		u.Scheme, u.Fragment, u.RawFragment = strings.ToLower(u.Scheme), "", ""
		host := strings.ToLower(u.Host)
		if a.HostRev != "" {
			host = reverseHost(a.HostRev) // the ASCII form
			if port := u.Port(); port != "" {
				host += ":" + port
			}
		}
		u.Host = host
		if u.Path == "" {
			u.Path = "/"
		}
		a.Value = u.String()
	case KindIP:
		ip, err := netip.ParseAddr(v)
		if err != nil || ip.Zone() != "" {
			return fault.New(fault.Invalid, "observe.bad_ip")
		}
		ip = ip.Unmap()
		a.Value = ip.String()
		a.AddrLo = addrKey(ip)
		a.AddrHi = a.AddrLo
	case KindCIDR:
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return fault.New(fault.Invalid, "observe.bad_cidr")
		}
		p = p.Masked()
		if p.Addr().Is4() && p.Bits() < MinPrefixV4 || !p.Addr().Is4() && p.Bits() < MinPrefixV6 {
			return fault.New(fault.Invalid, "observe.cidr_too_wide", "v4", MinPrefixV4, "v6", MinPrefixV6)
		}
		a.Value = p.String()
		a.AddrLo, a.AddrHi = rangeKeys(p)
	case KindKeyword:
		k, err := model.CleanText(v, MaxKeywordLen, true)
		if err != nil {
			return err
		}
		if len([]rune(k)) < MinKeywordLen {
			return fault.New(fault.Invalid, "observe.keyword_too_short", "min", MinKeywordLen)
		}
		a.Value, a.Keyword = k, strings.ToLower(k)
	default:
		return fault.Field("kind", "observe.bad_kind")
	}
	return nil
}

// hostName checks a host name and returns its ASCII (A-label) lower-case form.
func hostName(h string) (string, error) {
	a, err := idna.Lookup.ToASCII(strings.ToLower(h))
	if err != nil || !strings.Contains(a, ".") || len(a) > 253 {
		return "", fault.New(fault.Invalid, "observe.bad_domain")
	}
	if _, err := netip.ParseAddr(a); err == nil {
		return "", fault.New(fault.Invalid, "observe.bad_domain")
	}
	for _, l := range strings.Split(a, ".") {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", fault.New(fault.Invalid, "observe.bad_domain")
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", fault.New(fault.Invalid, "observe.bad_domain")
			}
		}
	}
	return a, nil
}

// reverseHost turns "www.example.jp" into "jp.example.www." and back.
func reverseHost(h string) string {
	if strings.HasSuffix(h, ".") { // reversed: undo
		labels := strings.Split(strings.TrimSuffix(h, "."), ".")
		slices.Reverse(labels)
		return strings.Join(labels, ".")
	}
	labels := strings.Split(h, ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "."
}

// parentHosts returns the reversed forms of the domains above a host (not the host itself
// and not the top-level domain alone).
func parentHosts(rev string) []string {
	labels := strings.Split(strings.TrimSuffix(rev, "."), ".")
	var out []string
	for i := 2; i < len(labels); i++ {
		out = append(out, strings.Join(labels[:i], ".")+".")
	}
	return out
}

// addrKey is an address as 32 hex digits of its 16-byte form, which sort as addresses do.
func addrKey(ip netip.Addr) string {
	b := ip.As16()
	return hex.EncodeToString(b[:])
}

func rangeKeys(p netip.Prefix) (lo, hi string) {
	b := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	last := b
	for i := bits; i < 128; i++ {
		last[i/8] |= 1 << (7 - i%8)
	}
	return hex.EncodeToString(b[:]), hex.EncodeToString(last[:])
}

// ---- Assets ----

// ProposeAsset registers an asset for an organization: proposed when an org admin asks,
// approved at once when center staff register it. An asset belongs to one organization:
// the same host, a domain above or below one already claimed, an overlapping address
// range or the same keyword claimed by another organization is refused.
func (s *Service) ProposeAsset(ctx context.Context, p auth.Principal, in AssetInput) (Asset, error) {
	if in.OrgID == 0 {
		in.OrgID = p.User.OrgID
	}
	if !policy.CanProposeAsset(p.Actor, in.OrgID) {
		return Asset{}, forbidden()
	}
	a, err := normalize(in)
	if err != nil {
		return Asset{}, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(c store.Conn) error {
		a, err = s.insertAsset(ctx, c, p, a, now)
		return err
	})
	return a, err
}

func (s *Service) insertAsset(ctx context.Context, c store.Conn, p auth.Principal, a store.Asset, now time.Time) (store.Asset, error) {
	org, err := store.GetOrg(ctx, c, a.OrgID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && org.Disabled) {
		return a, fault.Field("org_id", "observe.no_such_org")
	}
	if err != nil {
		return a, err
	}
	if err := store.LockAssets(ctx, c); err != nil {
		return a, err
	}
	if err := checkOwnership(ctx, c, a, false); err != nil {
		return a, err
	}
	a.Status, a.ProposedBy = StatusProposed, p.User.ID
	if policy.CanDecideAsset(p.Actor) {
		a.Status, a.DecidedBy, a.DecidedAt = StatusApproved, p.User.ID, now
	}
	if a.ID, err = store.InsertAsset(ctx, c, a, now); err != nil {
		return a, err
	}
	a.ProposedAt = now
	_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "asset.proposed", TargetType: "asset", TargetID: a.ID,
		Detail: map[string]any{"org_id": a.OrgID, "kind": a.Kind, "value": a.Value, "status": a.Status}}, now)
	return a, err
}

// checkOwnership refuses an asset that another organization already claims (same one
// organization may register overlapping things: a domain and its URLs).
func checkOwnership(ctx context.Context, c store.Conn, a store.Asset, approvedOnly bool) error {
	var parents []string
	if a.HostRev != "" {
		parents = parentHosts(a.HostRev)
	}
	others, err := store.ClaimingAssets(ctx, c, a, parents, approvedOnly)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID == a.ID {
			continue
		}
		if o.OrgID != a.OrgID {
			return fault.New(fault.Conflict, "observe.asset_claimed").WithField("value")
		}
		if o.Kind == a.Kind && o.Value == a.Value && a.ID == 0 {
			return fault.New(fault.Conflict, "observe.asset_duplicate").WithField("value")
		}
	}
	return nil
}

// GetAsset returns an asset the principal may see; NotFound otherwise.
func (s *Service) GetAsset(ctx context.Context, p auth.Principal, id int64) (Asset, error) {
	a, err := store.GetAsset(ctx, s.db.Read(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewAsset(p.Actor, policy.AssetFacts{OrgID: a.OrgID})) {
		return Asset{}, notFound()
	}
	return a, err
}

// AssetQuery selects assets to list.
type AssetQuery struct {
	OrgID  int64
	Status string
	Before int64
	Limit  int
}

// Assets lists the assets the principal may see, newest first; the cursor of the next
// page is returned (0 at the end).
func (s *Service) Assets(ctx context.Context, p auth.Principal, q AssetQuery) ([]Asset, int64, error) {
	if q.Status != "" && !slices.Contains([]string{StatusProposed, StatusApproved, StatusRejected}, q.Status) {
		return nil, 0, fault.Field("status", "observe.bad_status")
	}
	limit := store.Page{Limit: q.Limit}
	n := limitOf(limit)
	list, err := store.ListAssets(ctx, s.db.Read(), store.AssetQuery{Access: policy.AssetFilter(p.Actor), OrgID: q.OrgID,
		Status: q.Status, Before: q.Before, Limit: n})
	if err != nil {
		return nil, 0, err
	}
	return list, nextCursor(len(list), n, func() int64 { return list[len(list)-1].ID }), nil
}

func limitOf(p store.Page) int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > store.MaxPage:
		return store.MaxPage
	}
	return p.Limit
}

func nextCursor(got, limit int, last func() int64) int64 {
	if got < limit || got == 0 {
		return 0
	}
	return last()
}

// DecideAsset approves or rejects a proposed asset (center staff). Approval checks
// ownership again against approved assets.
func (s *Service) DecideAsset(ctx context.Context, p auth.Principal, id int64, approve bool) (Asset, error) {
	now := s.now()
	var a Asset
	err := s.db.Write(ctx, func(c store.Conn) error {
		var err error
		a, err = store.GetAsset(ctx, c, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewAsset(p.Actor, policy.AssetFacts{OrgID: a.OrgID})) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if !policy.CanDecideAsset(p.Actor) {
			return forbidden()
		}
		status := StatusRejected
		if approve {
			status = StatusApproved
			if err := store.LockAssets(ctx, c); err != nil {
				return err
			}
			if err := checkOwnership(ctx, c, a, true); err != nil {
				return err
			}
		}
		if err := store.SetAssetStatus(ctx, c, id, status, p.User.ID, now); err != nil {
			return err
		}
		a.Status, a.DecidedBy, a.DecidedAt = status, p.User.ID, now
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "asset." + status, TargetType: "asset", TargetID: id,
			Detail: map[string]any{"org_id": a.OrgID, "kind": a.Kind, "value": a.Value}}, now)
		return err
	})
	return a, err
}

// DeleteAsset stops watching an asset and gives up its ownership.
func (s *Service) DeleteAsset(ctx context.Context, p auth.Principal, id int64) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		a, err := store.GetAsset(ctx, c, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewAsset(p.Actor, policy.AssetFacts{OrgID: a.OrgID})) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if !policy.CanDeleteAsset(p.Actor, policy.AssetFacts{OrgID: a.OrgID}) {
			return forbidden()
		}
		if err := store.DeleteAsset(ctx, c, id, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "asset.deleted", TargetType: "asset", TargetID: id,
			Detail: map[string]any{"org_id": a.OrgID, "kind": a.Kind, "value": a.Value}}, now)
		return err
	})
}

// ApprovedAssets returns every approved asset, for the monitors (which act for the
// operator: nothing is watched that the center has not approved).
func (s *Service) ApprovedAssets(ctx context.Context) ([]Asset, error) {
	var out []Asset
	var after int64
	for {
		page, err := store.ApprovedAssets(ctx, s.db.Read(), after, store.MaxPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxPage {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// LineError is what was wrong with one line of an import.
type LineError struct {
	Line  int
	Field string
	Key   string
	Args  map[string]any
}

// ImportResult is the outcome of a CSV import: the assets added, the lines refused.
type ImportResult struct {
	Added  []Asset
	Errors []LineError
}

// ImportCSV registers the assets of a CSV text for one organization: one asset per line
// as kind,value[,contact]; a header line "kind,value,contact" is skipped. Good lines are
// added even when others are refused; each refused line says why.
func (s *Service) ImportCSV(ctx context.Context, p auth.Principal, orgID int64, text string) (ImportResult, error) {
	if orgID == 0 {
		orgID = p.User.OrgID
	}
	if !policy.CanProposeAsset(p.Actor, orgID) {
		return ImportResult{}, forbidden()
	}
	if len(text) > MaxImportBytes {
		return ImportResult{}, fault.New(fault.TooLarge, "observe.import_too_large", "max", MaxImportBytes)
	}
	rows, err := parseCSV(text)
	if err != nil {
		return ImportResult{}, err
	}
	if len(rows) > MaxImportLines {
		return ImportResult{}, fault.Field("csv", "observe.import_too_many", "max", MaxImportLines)
	}
	var res ImportResult
	now := s.now()
	for _, r := range rows {
		if len(r.fields) < 2 || len(r.fields) > 3 {
			res.Errors = append(res.Errors, LineError{Line: r.line, Field: "csv", Key: "observe.import_columns"})
			continue
		}
		in := AssetInput{OrgID: orgID, Kind: r.fields[0], Value: r.fields[1]}
		if len(r.fields) == 3 {
			in.Contact = r.fields[2]
		}
		a, err := normalize(in)
		if err == nil {
			err = s.db.Write(ctx, func(c store.Conn) error {
				a, err = s.insertAsset(ctx, c, p, a, now)
				return err
			})
		}
		if err != nil {
			fe := fault.Fields(err)
			if len(fe) == 0 || fault.KindOf(err) == fault.Internal || (fe[0].Kind != fault.Invalid && fe[0].Kind != fault.Conflict) {
				return res, err
			}
			res.Errors = append(res.Errors, LineError{Line: r.line, Field: fe[0].Field, Key: fe[0].Key, Args: fe[0].Args})
			continue
		}
		res.Added = append(res.Added, a)
	}
	return res, nil
}

type csvRow struct {
	line   int
	fields []string
}

// parseCSV splits lines into fields (quoted fields as in RFC 4180), skipping blank lines,
// comments (#) and a header.
func parseCSV(text string) ([]csvRow, error) {
	var out []csvRow
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields, ok := splitCSVLine(line)
		if !ok {
			out = append(out, csvRow{line: i + 1}) // reported as a bad line
			continue
		}
		if len(out) == 0 && len(fields) > 1 && strings.EqualFold(strings.TrimSpace(fields[0]), "kind") {
			continue
		}
		out = append(out, csvRow{line: i + 1, fields: fields})
	}
	return out, nil
}

func splitCSVLine(line string) ([]string, bool) {
	var fields []string
	var b strings.Builder
	quoted, start := false, true
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quoted && ch == '"' && i+1 < len(line) && line[i+1] == '"':
			b.WriteByte('"')
			i++
		case quoted && ch == '"':
			quoted = false
		case !quoted && ch == '"' && start:
			quoted = true
		case !quoted && ch == ',':
			fields = append(fields, strings.TrimSpace(b.String()))
			b.Reset()
			start = true
			continue
		default:
			if !(start && (ch == ' ' || ch == '\t')) {
				b.WriteByte(ch)
			}
		}
		if ch != ' ' && ch != '\t' {
			start = false
		}
	}
	if quoted {
		return nil, false
	}
	return append(fields, strings.TrimSpace(b.String())), true
}
