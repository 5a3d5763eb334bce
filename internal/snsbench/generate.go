// Package snsbench measures the sharing SNS at size: Generate builds a large world of
// organizations, people, communities, topics, comments and reads directly with batched
// multi-row INSERTs (the services are far too slow for millions of rows), and the
// benchmarks then time the real sns.Service on it.
package snsbench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/store"
)

// Counts is the size of a world.
type Counts struct {
	Orgs, People, Communities, Topics, Comments, Reads int
}

// Base is the world at scale 1 ("small"); scale 100 is the national target.
var Base = Counts{Orgs: 500, People: 5000, Communities: 50, Topics: 10_000, Comments: 30_000, Reads: 200_000}

// CountsFor scales every count of Base linearly (at least one of each, two communities).
func CountsFor(scale float64) Counts {
	f := func(n, least int) int { return max(least, int(math.Round(float64(n)*scale))) }
	return Counts{Orgs: f(Base.Orgs, 1), People: f(Base.People, 1), Communities: f(Base.Communities, 2),
		Topics: f(Base.Topics, 1), Comments: f(Base.Comments, 0), Reads: f(Base.Reads, 0)}
}

// ScaleFromEnv reads RENKEI_BENCH_SCALE (default 1).
func ScaleFromEnv() (float64, error) {
	s := os.Getenv("RENKEI_BENCH_SCALE")
	if s == "" {
		return 1, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("RENKEI_BENCH_SCALE=%q: want a positive number", s)
	}
	return v, nil
}

// World is what Generate built: the counts written and handles the benchmarks use.
type World struct {
	Target  Counts // asked for
	Written Counts // rows actually written (reads may fall short where audiences are small)
	// Memberships is the number of community_members rows; Audience of topic_audience rows.
	Memberships, Audience int
	// Large is the community that holds a fifth of all organizations.
	Large int64
	// LargeOrgs are the organizations in Large.
	LargeOrgs []int64
	// OrgCommunities lists each organization's communities (index: org id - first org id).
	OrgCommunities [][]int64
	FirstOrg       int64
	// OrgFirstUser is the first person of each organization (index: org id - FirstOrg);
	// an organization's people have consecutive ids.
	OrgFirstUser []int64
	PeoplePerOrg []int
	Elapsed      time.Duration
}

// UsersOf returns the people of an organization.
func (w *World) UsersOf(org int64) []int64 {
	i := int(org - w.FirstOrg)
	out := make([]int64, w.PeoplePerOrg[i])
	for k := range out {
		out[k] = w.OrgFirstUser[i] + int64(k)
	}
	return out
}

// Now is the time the world ends at: the test app's clock start.
var Now = time.Date(2026, 7, 24, 0, 0, 0, 0, time.UTC)

// Title vocabulary: realistic Japanese threat-sharing titles are built from these.
var (
	targets  = []string{"競技会場", "チケット販売サイト", "交通系IC", "大会公式サイト", "自治体ポータル", "電力制御系", "空港システム", "決済基盤", "放送設備", "鉄道運行管理", "病院情報系", "宿泊予約サイト"}
	attacks  = []string{"DDoS攻撃", "ランサムウェア", "フィッシング", "標的型メール", "不正ログイン", "改ざん", "情報窃取", "サプライチェーン攻撃", "ボットネット", "ゼロデイ攻撃"}
	actions  = []string{"予告", "観測", "注意喚起", "被害報告", "脆弱性情報", "兆候", "調査結果", "対策状況", "共有依頼", "続報"}
	products = []string{"VPN装置", "Webサーバ", "メールゲートウェイ", "ファイアウォール", "CMS", "リモートデスクトップ", "ルータ", "認証基盤"}
	bodyBits = []string{
		"本日未明より、%sを狙った%sを%sで確認しました。",
		"%sに関する%sの%sが海外の掲示板に投稿されています。",
		"複数の組織から%sへの%sについて%sの報告がありました。",
		"%sの脆弱性を悪用した%sが観測されています。%sを共有します。",
	}
	commentBits = []string{"当組織でも同様の通信を観測しました。", "情報共有ありがとうございます。確認します。",
		"IoCを追記しました。ブロック済みです。", "該当する製品は利用していません。", "対策を実施しました。続報を待ちます。",
		"攻撃元IPアドレスの一覧を添付します。", "フィッシングサイトのURLを追加で確認しました。", "脆弱性の修正版が公開されています。"}
	tagWords = []string{"DDoS", "ランサム", "フィッシング", "脆弱性", "IoC", "予告", "観測", "注意喚起"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// rowBatch accumulates the rows of one multi-row INSERT and writes them in chunks that
// stay under the backends' limits on bound parameters. It writes $n placeholders itself on
// PostgreSQL so that the store's rebind cache does not keep every chunk's text.
type rowBatch struct {
	head, row, tail string // row is the VALUES tuple with ? marks
	ncol            int
	args            []any
	rows            int
	written         int
}

func newBatch(head, row, tail string) *rowBatch {
	return &rowBatch{head: head, row: row, tail: tail, ncol: strings.Count(row, "?")}
}

func (b *rowBatch) add(vals ...any) {
	b.args = append(b.args, vals...)
	b.rows++
}

const maxParams = 30_000

func (b *rowBatch) flush(ctx context.Context, c store.Conn) error {
	per := min(1000, maxParams/b.ncol)
	for start := 0; start < b.rows; start += per {
		n := min(per, b.rows-start)
		var sb strings.Builder
		sb.WriteString(b.head)
		p := 0
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			if c.Backend() == store.Postgres {
				for _, ch := range b.row {
					if ch == '?' {
						p++
						sb.WriteString("$" + strconv.Itoa(p))
					} else {
						sb.WriteRune(ch)
					}
				}
			} else {
				sb.WriteString(b.row)
			}
		}
		sb.WriteString(b.tail)
		res, err := c.Exec(ctx, sb.String(), b.args[start*b.ncol:(start+n)*b.ncol]...)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.TrimSpace(b.head), err)
		}
		if k, err := res.RowsAffected(); err == nil {
			b.written += int(k)
		}
	}
	clear(b.args)
	b.args, b.rows = b.args[:0], 0
	return nil
}

func maxID(ctx context.Context, db *store.DB, table string) (int64, error) {
	var id int64
	err := db.Read().QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&id)
	return id, err
}

// Generate builds a world of the given scale into db (freshly migrated, or holding only a
// few rows: ids continue after the existing ones). It is deterministic for a scale.
func Generate(ctx context.Context, db *store.DB, scale float64) (*World, error) {
	start := time.Now()
	n := CountsFor(scale)
	w := &World{Target: n}
	r := rand.New(rand.NewPCG(42, uint64(scale*1000)))
	nowMS := Now.UnixMilli()
	const year = int64(365 * 24 * time.Hour / time.Millisecond)

	var baseOrg, baseUser, baseComm, baseTopic, baseComment, baseMember int64
	for _, x := range []struct {
		table string
		to    *int64
	}{{"orgs", &baseOrg}, {"users", &baseUser}, {"communities", &baseComm}, {"topics", &baseTopic},
		{"comments", &baseComment}, {"community_members", &baseMember}} {
		id, err := maxID(ctx, db, x.table)
		if err != nil {
			return nil, err
		}
		*x.to = id
	}
	w.FirstOrg = baseOrg + 1

	// Organizations and their people (spread evenly, the remainder to the first ones).
	orgs := newBatch("INSERT INTO orgs (id, name_ja, name_en, name_ja_key, name_en_key, kind, sector, created_at, updated_at) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?, ?)", "")
	users := newBatch("INSERT INTO users (id, org_id, email, email_key, display_name, created_at, updated_at) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?)", "")
	kinds := model.OrgKinds[1:] // not the center
	w.PeoplePerOrg = make([]int, n.Orgs)
	orgFirstUser := make([]int64, n.Orgs)
	w.OrgFirstUser = orgFirstUser
	uid := baseUser
	err := db.Write(ctx, func(c store.Conn) error {
		for i := 0; i < n.Orgs; i++ {
			id := baseOrg + 1 + int64(i)
			ja, en := fmt.Sprintf("ベンチ組織%07d", i+1), fmt.Sprintf("Bench Org %07d", i+1)
			sector := ""
			if i%3 == 0 {
				sector = string(model.Sectors[i%len(model.Sectors)])
			}
			orgs.add(id, ja, en, strings.ToLower(ja), strings.ToLower(en), string(kinds[i%len(kinds)]), sector, nowMS-year, nowMS-year)
			w.PeoplePerOrg[i] = n.People / n.Orgs
			if i < n.People%n.Orgs {
				w.PeoplePerOrg[i]++
			}
			orgFirstUser[i] = uid + 1
			for k := 0; k < w.PeoplePerOrg[i]; k++ {
				uid++
				email := fmt.Sprintf("u%d@org%d.bench.example", uid, id)
				users.add(uid, id, email, email, fmt.Sprintf("利用者%d", uid), nowMS-year, nowMS-year)
			}
			if orgs.rows >= 1000 {
				if err := orgs.flush(ctx, c); err != nil {
					return err
				}
			}
			if users.rows >= 5000 {
				if err := orgs.flush(ctx, c); err != nil {
					return err
				}
				if err := users.flush(ctx, c); err != nil {
					return err
				}
			}
		}
		if err := orgs.flush(ctx, c); err != nil {
			return err
		}
		return users.flush(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	w.Written.Orgs, w.Written.People = orgs.written, users.written
	randUser := func(org int64) int64 {
		i := org - w.FirstOrg
		return orgFirstUser[i] + int64(r.IntN(max(1, w.PeoplePerOrg[i])))
	}

	// Communities and memberships: every organization is in 1–5 communities; the first
	// community (Large) holds every fifth organization.
	w.Large = baseComm + 1
	w.OrgCommunities = make([][]int64, n.Orgs)
	commOrgs := make([][]int64, n.Communities)
	comms := newBatch("INSERT INTO communities (id, name_ja, name_en, name_ja_key, name_en_key, description_ja, created_at, updated_at) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?)", "")
	members := newBatch("INSERT INTO community_members (id, community_id, org_id, added_at) VALUES ", "(?, ?, ?, ?)", "")
	mid := baseMember
	err = db.Write(ctx, func(c store.Conn) error {
		for i := 0; i < n.Communities; i++ {
			id := baseComm + 1 + int64(i)
			ja, en := fmt.Sprintf("ベンチ%s共有コミュニティ%05d", pick(r, targets), i+1), fmt.Sprintf("Bench community %05d", i+1)
			comms.add(id, ja, en, strings.ToLower(ja), strings.ToLower(en), "ベンチマーク用のコミュニティです。", nowMS-year, nowMS-year)
		}
		if err := comms.flush(ctx, c); err != nil {
			return err
		}
		for i := 0; i < n.Orgs; i++ {
			org := baseOrg + 1 + int64(i)
			var mine []int64
			if i%5 == 0 {
				mine = append(mine, w.Large)
				w.LargeOrgs = append(w.LargeOrgs, org)
			}
			want := 1 + r.IntN(5)
			for tries := 0; len(mine) < want && tries < 20; tries++ {
				cid := baseComm + 2 + int64(r.IntN(n.Communities-1))
				if !containsID(mine, cid) {
					mine = append(mine, cid)
				}
			}
			w.OrgCommunities[i] = mine
			for _, cid := range mine {
				mid++
				members.add(mid, cid, org, nowMS-year)
				commOrgs[cid-baseComm-1] = append(commOrgs[cid-baseComm-1], org)
			}
			if members.rows >= 5000 {
				if err := members.flush(ctx, c); err != nil {
					return err
				}
			}
		}
		return members.flush(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	w.Written.Communities, w.Memberships = comms.written, members.written

	// Topics, with their tags, audience, search row, comments and reads, written a few
	// hundred topics per transaction.
	topics := newBatch(`INSERT INTO topics (id, community_id, author_id, author_org_id, title, body, info_type, priority, tlp, scope,
		show_audience, comment_count, ack_count, created_at, last_activity_at) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "")
	tags := newBatch("INSERT INTO topic_tags (topic_id, tag) VALUES ", "(?, ?)", "")
	audOrg := newBatch("INSERT INTO topic_audience (topic_id, org_id, added_at) VALUES ", "(?, ?, ?)", "")
	audUser := newBatch("INSERT INTO topic_audience (topic_id, user_id, added_at) VALUES ", "(?, ?, ?)", "")
	var searchRows *rowBatch
	if db.Backend() == store.Postgres {
		searchRows = newBatch("INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, doc) VALUES ",
			"(?, ?, ?, ?, "+store.PostgresSearchDoc+")", "")
	} else {
		searchRows = newBatch("INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, access_keys) VALUES ", "(?, ?, ?, ?, ?)", "")
	}
	comments := newBatch("INSERT INTO comments (id, topic_id, author_id, author_org_id, body, created_at) VALUES ", "(?, ?, ?, ?, ?, ?)", "")
	reads := newBatch("INSERT INTO topic_reads (topic_id, user_id, org_id, first_view_at, view_count, acked_at) VALUES ",
		"(?, ?, ?, ?, ?, ?)", "")
	all := []*rowBatch{topics, tags, audOrg, audUser, searchRows, comments, reads}
	flushAll := func() error {
		return db.Write(ctx, func(c store.Conn) error {
			for _, b := range all {
				if err := b.flush(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	share := func(total, i int) int { // an even share of total for topic i, summing exactly
		return int(int64(i+1)*int64(total)/int64(n.Topics) - int64(i)*int64(total)/int64(n.Topics))
	}
	cmid, readCarry := baseComment, 0
	seen := map[int64]bool{}
	var texts []string
	for i := 0; i < n.Topics; i++ {
		id := baseTopic + 1 + int64(i)
		created := nowMS - year + int64(i)*year/int64(n.Topics) + int64(r.IntN(60_000))
		authorOrg := baseOrg + 1 + int64(r.IntN(n.Orgs))
		cid := pick(r, w.OrgCommunities[authorOrg-w.FirstOrg])
		author := randUser(authorOrg)
		attack, target, action := pick(r, attacks), pick(r, targets), pick(r, actions)
		title := fmt.Sprintf("%sへの%sの%s", target, attack, action)
		priority := model.PriorityNone
		switch x := r.IntN(100); {
		case x < 5:
			priority = model.PriorityImportant
			title = "【重要】" + title
		case x < 15:
			priority = model.PriorityCaution
			title = "【注意】" + title
		}
		body := fmt.Sprintf(pick(r, bodyBits), target, attack, action) + "\n\n対象製品: " + pick(r, products) +
			"\n影響: サービス停止のおそれがあります。各組織での確認をお願いします。"
		info := pick(r, model.InfoTypes)
		scope, tlp := model.ScopeCommunity, pick(r, []model.TLP{model.TLPClear, model.TLPGreen, model.TLPGreen, model.TLPAmber, model.TLPAmberStrict})
		// Who may read it: the community's organizations, or the audience named.
		readers := commOrgs[cid-baseComm-1]
		var namedUsers, audOrgs []int64
		showAud := false
		if r.IntN(10) == 0 {
			scope, showAud = model.ScopeSelected, r.IntN(2) == 0
			if r.IntN(5) == 0 {
				tlp = model.TLPRed
				for k := 0; k < 1+r.IntN(3); k++ {
					u := randUser(pick(r, readers))
					if !containsID(namedUsers, u) {
						namedUsers = append(namedUsers, u)
						audUser.add(id, u, created)
					}
				}
				readers = nil
			} else {
				for k := 0; k < 1+r.IntN(5); k++ {
					o := pick(r, readers)
					if !containsID(audOrgs, o) {
						audOrgs = append(audOrgs, o)
						audOrg.add(id, o, created)
					}
				}
				readers = audOrgs
			}
		}
		t1, t2 := pick(r, tagWords), pick(r, tagWords)
		tags.add(id, t1)
		if t2 != t1 {
			tags.add(id, t2)
		}
		// Comments, by people of organizations that may read it.
		nc := share(n.Comments, i)
		texts = append(texts[:0], body)
		for k := 0; k < nc; k++ {
			cmid++
			org := authorOrg
			if len(readers) > 0 {
				org = pick(r, readers)
			}
			text := pick(r, commentBits)
			texts = append(texts, text)
			comments.add(cmid, id, randUser(org), org, text, created+int64(k+1)*600_000)
		}
		// Reads: distinct people of the readers' organizations (or those named), some
		// acknowledged.
		want := share(n.Reads, i) + readCarry
		clear(seen)
		acks := 0
		for tries := 0; len(seen) < want && tries < 3*want; tries++ {
			var u, org int64
			if len(namedUsers) > 0 {
				u = pick(r, namedUsers)
				org = w.OrgOf(u)
			} else {
				org = pick(r, readers)
				u = randUser(org)
			}
			if seen[u] {
				continue
			}
			seen[u] = true
			first := created + int64(r.IntN(3_600_000))
			acked := int64(0)
			if r.IntN(2) == 0 {
				acked = first + int64(r.IntN(600_000))
				acks++
			}
			reads.add(id, u, org, first, 1+r.IntN(3), acked)
		}
		readCarry = want - len(seen)
		last := created
		if nc > 0 {
			last = created + int64(nc)*600_000
		}
		topics.add(id, cid, author, authorOrg, title, body, string(info), string(priority), string(tlp), string(scope),
			showAud, nc, acks, created, last)
		titleTok, bodyTok := search.Tokens(title), search.Tokens(strings.Join(texts, "\n")+"\n")
		keys := policy.TopicSearchKeys(policy.TopicFacts{ID: id, CommunityID: cid, AuthorID: author, TLP: tlp, Scope: scope,
			AudienceOrgs: audOrgs, AudienceUsers: namedUsers})
		if db.Backend() == store.Postgres {
			searchRows.add(id, search.Version, titleTok, bodyTok, titleTok, bodyTok, store.PostgresKeys(keys))
		} else {
			searchRows.add(id, search.Version, titleTok, bodyTok, strings.Join(keys, " "))
		}
		if topics.rows >= 500 {
			if err := flushAll(); err != nil {
				return nil, err
			}
		}
	}
	if err := flushAll(); err != nil {
		return nil, err
	}
	w.Written.Topics, w.Written.Comments, w.Written.Reads = topics.written, comments.written, reads.written
	w.Audience = audOrg.written + audUser.written

	// PostgreSQL identity columns do not move past explicit ids: set them, as a restore would.
	if db.Backend() == store.Postgres {
		err := db.Write(ctx, func(c store.Conn) error {
			for _, t := range []string{"orgs", "users", "communities", "community_members", "topics", "comments"} {
				if _, err := c.Exec(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 1) FROM %s))", t, t)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Statistics, as the server makes them at start-up (PostgreSQL's autovacuum would
	// have made its own by the time the world is used).
	if err := db.Optimize(ctx); err != nil {
		return nil, err
	}
	if db.Backend() == store.Postgres {
		if err := db.Write(ctx, func(c store.Conn) error { _, err := c.Exec(ctx, "ANALYZE"); return err }); err != nil {
			return nil, err
		}
	}
	w.Elapsed = time.Since(start)
	return w, nil
}

// OrgOf returns a person's organization.
func (w *World) OrgOf(u int64) int64 {
	orgFirstUser := w.OrgFirstUser
	lo, hi := 0, len(orgFirstUser)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if orgFirstUser[mid] <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return w.FirstOrg + int64(lo)
}

func containsID(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
