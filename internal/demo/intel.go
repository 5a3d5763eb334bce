package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
)

// loadIntel makes the indicator collections of the demo: the center's feed to the
// professional community (center staff write), a collection the community's members share
// into, and the electricity operator's own collection shared back to the center; and a
// few hundred indicators entered as people paste them (documentation addresses and
// example.net names only).
func loadIntel(ctx context.Context, a *app.App, orgIDs, userIDs map[string]int64, communityIDs []int64) error {
	sys := auth.System()
	mk := func(in intel.CollectionInput) (intel.Collection, error) {
		return a.Intel.CreateCollection(ctx, sys, in)
	}
	feed, err := mk(intel.CollectionInput{Title: "センター配信 IoC / Center indicator feed", CommunityID: communityIDs[commPro],
		Description: "対処調整センターが確認した高確度の指標。ブロックリストとしての利用を想定しています。"})
	if err != nil {
		return err
	}
	shared, err := mk(intel.CollectionInput{Title: "会員共有 IoC / Member-shared indicators", CommunityID: communityIDs[commPro], MemberWrite: true,
		Description: "会員組織が観測した指標を共有するコレクション。"})
	if err != nil {
		return err
	}
	own, err := mk(intel.CollectionInput{Title: "東都電力 観測指標 / Toto Electric observations", OrgID: orgIDs["Toto Electric Power"],
		Description: "東都電力が観測した指標（センターと共有）。"})
	if err != nil {
		return err
	}
	principal := func(email string) (auth.Principal, error) { return a.Auth.Principal(ctx, userIDs[email]) }
	type batch struct {
		who        string
		coll       intel.Collection
		tlp        string
		confidence int
		validDays  int
		desc       string
		text       string
	}
	var ips, names, urls, hashes []string
	for i := range 120 {
		ips = append(ips, fmt.Sprintf("198.51.100.%d", i+1))
	}
	for i := range 80 {
		names = append(names, fmt.Sprintf("login-%02d[.]example[.]net", i))
	}
	for i := range 40 {
		urls = append(urls, fmt.Sprintf("hxxps://cdn%02d.example[.]org/update/%d.php", i, 1000+i*7))
	}
	for i := range 30 {
		hashes = append(hashes, fmt.Sprintf("%064x", uint64(i+1)*0x9e3779b97f4a7c15))
	}
	batches := []batch{
		{"k.nakamura@ccc.example", feed, "green", 90, 30, "DDoS 予告に関連する C2 サーバ", "観測した C2:\n" + strings.Join(ips[:80], "\n")},
		{"k.nakamura@ccc.example", feed, "amber", 80, 14, "フィッシングサイト", strings.Join(names[:50], "、")},
		{"a.kobayashi@ccc.example", feed, "amber+strict", 70, 0, "マルウェア配布 URL とハッシュ", strings.Join(urls, "\n") + "\n" + strings.Join(hashes, "\n")},
		{"m.suzuki@toto-power.example", shared, "green", 60, 60, "当社への不審な通信元", strings.Join(ips[60:120], " ")},
		{"s.kato@shutoken-rail.example", shared, "green", 50, 30, "鉄道各社を装うフィッシング", strings.Join(names[40:80], "\n")},
		{"t.sato@toto-power.example", own, "amber", 75, 0, "制御系ネットワークへの探索", strings.Join(ips[100:120], "\n") + "\n203.0.113.0/24"},
	}
	for _, b := range batches {
		p, err := principal(b.who)
		if err != nil {
			return err
		}
		if _, err := a.Intel.CreateIndicators(ctx, p, intel.EntryInput{CollectionID: b.coll.ID, Text: b.text, TLP: b.tlp,
			Confidence: b.confidence, ValidDays: b.validDays, Description: b.desc}); err != nil {
			return fmt.Errorf("demo indicators of %s: %w", b.who, err)
		}
	}
	return nil
}
