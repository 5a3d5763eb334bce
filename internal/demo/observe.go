package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/observe"
)

// demoAsset is one registered asset; proposed ones wait for the center's approval.
type demoAsset struct {
	org, kind, value, contact string
	proposedBy                string // an org admin's email: waits for approval; "": registered by the center
}

// The documentation address ranges (RFC 5737) and the demo organizations' .example domains.
var demoAssets = []demoAsset{
	{"Toto Electric Power", "domain", "toto-power.example", "SOC 03-5555-0101", ""},
	{"Toto Electric Power", "url", "https://www.toto-power.example/", "Web team", ""},
	{"Toto Electric Power", "cidr", "192.0.2.0/26", "Network operations", ""},
	{"Toto Electric Power", "keyword", "東都電力", "Brand protection", ""},
	{"Shutoken Railway", "domain", "shutoken-rail.example", "Security desk", ""},
	{"Shutoken Railway", "url", "https://reserve.shutoken-rail.example/", "Reservations IT", ""},
	{"Shutoken Railway", "ip", "192.0.2.80", "Reservations IT", ""},
	{"Shutoken Railway", "cidr", "192.0.2.128/26", "Network operations", "s.kato@shutoken-rail.example"},
	{"Minato Bank", "domain", "minato-bank.example", "CSIRT", ""},
	{"Minato Bank", "keyword", "みなと銀行", "CSIRT", ""},
	{"Minato Bank", "cidr", "198.51.100.0/25", "CSIRT", ""},
	{"Tokyo 2040 Organizing Committee", "domain", "tokyo2040.example", "Technology services", ""},
	{"Tokyo 2040 Organizing Committee", "url", "https://tickets.tokyo2040.example/", "Ticketing", ""},
	{"Tokyo 2040 Organizing Committee", "keyword", "Tokyo 2040", "Brand protection", ""},
	{"Bayside Arena Operations", "url", "https://www.bayside-arena.example/", "Venue IT", ""},
	{"Bayside Arena Operations", "ip", "203.0.113.10", "Venue IT", "h.wada@bayside-arena.example"},
	{"Nippon Chuo Telecom", "cidr", "198.51.100.128/25", "NOC", ""},
}

// demoNotice is one notice of the demo's history: sent daysAgo, read after readAfter by
// the first of readers (never when readAfter is 0).
type demoNotice struct {
	daysAgo   float64
	orgs      []string
	kind      string
	severity  string
	title     string
	body      string
	action    string
	readAfter time.Duration
	reader    string
}

var demoNotices = []demoNotice{
	{daysAgo: 12, orgs: []string{"Shutoken Railway"}, kind: "ddos", severity: "high",
		title:  "予約サイトへの DDoS 攻撃を観測しました",
		body:   "20時12分から約 35 分間、予約サイト（reserve.shutoken-rail.example）宛てに最大 38 Gbps の UDP 通信を観測しました。送信元は国外の約 4,000 アドレスです。",
		action: "上流の ISP と連携し、対象アドレス宛ての UDP 通信の制限をご検討ください。", readAfter: 18 * time.Minute, reader: "s.kato@shutoken-rail.example"},
	{daysAgo: 10, orgs: []string{"Toto Electric Power"}, kind: "exposed", severity: "high",
		title:  "リモートデスクトップ（3389/tcp）が外部から到達可能です",
		body:   "登録済み範囲 192.0.2.0/26 の 192.0.2.17 で、3389/tcp がインターネットから接続を受け付けています。",
		action: "外部からの到達を遮断し、VPN 経由に限定してください。認証ログに不審な試行がないか確認してください。", readAfter: 3*time.Hour + 40*time.Minute, reader: "t.sato@toto-power.example"},
	{daysAgo: 8, orgs: []string{"Tokyo 2040 Organizing Committee"}, kind: "lookalike", severity: "medium",
		title:  "類似ドメイン tokyo2O40.example の登録を確認しました",
		body:   "貴組織のドメイン tokyo2040.example に似た tokyo2O40.example（数字の 0 を英字の O に置換）が新たに登録され、A レコードが設定されています。",
		action: "正規サイトであるかを確認し、フィッシングに使われる場合はセンターにご連絡ください。", readAfter: 26 * time.Hour, reader: "t.ogawa@tokyo2040.example"},
	{daysAgo: 7, orgs: []string{"Tokyo 2040 Organizing Committee", "Bayside Arena Operations"}, kind: "phishing", severity: "high",
		title:  "偽のチケット販売・ライブ配信サイトを確認しました",
		body:   "大会名とロゴを用いた偽のチケット販売サイトおよびライブ配信サイト 3 件を確認しました。SNS 広告から誘導されています。",
		action: "利用者への注意喚起をご検討ください。テイクダウン要請はセンターが行います。", readAfter: 50 * time.Minute, reader: "t.ogawa@tokyo2040.example"},
	{daysAgo: 5, orgs: []string{"Bayside Arena Operations"}, kind: "down", severity: "high",
		title:  "ウェブサイトが応答していません",
		body:   "https://www.bayside-arena.example/ が 09:40 から 3 回続けて接続タイムアウトになりました。",
		action: "サーバと回線の状態を確認してください。", readAfter: 12 * time.Minute, reader: "h.wada@bayside-arena.example"},
	{daysAgo: 4, orgs: []string{"Minato Bank"}, kind: "darkweb", severity: "medium",
		title:  "ダークウェブのフォーラムで貴組織への言及を確認しました",
		body:   "攻撃者向けフォーラムで、貴組織のインターネットバンキングを標的とする旨の書き込みを確認しました。具体的な手口の記載はありません。",
		action: "不正ログインの監視を強化してください。", readAfter: 0},
	{daysAgo: 3, orgs: []string{"Minato Bank", "Toto Electric Power"}, kind: "credentials", severity: "critical",
		title:  "貴組織のメールアドレスと認証情報の漏えいを確認しました",
		body:   "公開された情報窃取マルウェアのログに、貴組織ドメインのアドレスとパスワードの組を 12 件確認しました。",
		action: "該当アカウントのパスワードを変更し、多要素認証の設定をご確認ください。", readAfter: 5*time.Hour + 10*time.Minute, reader: "s.yamazaki@minato-bank.example"},
	{daysAgo: 1.5, orgs: []string{"Nippon Chuo Telecom", "Shutoken Railway", "Toto Electric Power"}, kind: "ddos", severity: "medium",
		title:  "重要インフラ事業者を名指しした DDoS 攻撃の予告",
		body:   "ハクティビスト集団が SNS 上で、国内の通信・鉄道・電力事業者への DDoS 攻撃を予告しています。予告日時は明日 20 時です。",
		action: "DDoS 対策サービスの設定と連絡体制をご確認ください。", readAfter: 0},
}

// loadObservation registers the demo's assets and writes its history of notices: sent by
// the analysts, raised by the monitors (a certificate about to expire, a site down and back),
// some read soon, some late, some not at all.
func loadObservation(ctx context.Context, a *app.App, orgIDs, userIDs map[string]int64) error {
	now := a.Now()
	at := now.Add(-14 * 24 * time.Hour)
	svc := observe.New(a.DB, func() time.Time { return at }, -1)
	analyst, err := a.Auth.Principal(ctx, userIDs["k.nakamura@ccc.example"])
	if err != nil {
		return err
	}
	assets := map[string]int64{}
	for _, d := range demoAssets {
		in := observe.AssetInput{OrgID: orgIDs[d.org], Kind: d.kind, Value: d.value, Contact: d.contact}
		by := analyst
		if d.proposedBy != "" {
			if by, err = a.Auth.Principal(ctx, userIDs[d.proposedBy]); err != nil {
				return err
			}
		}
		created, err := svc.ProposeAsset(ctx, by, in)
		if err != nil {
			return fmt.Errorf("demo asset %s: %w", d.value, err)
		}
		assets[d.value] = created.ID
	}
	for i, d := range demoNotices {
		at = now.Add(-time.Duration(d.daysAgo * float64(24*time.Hour)))
		var orgs []int64
		for _, o := range d.orgs {
			orgs = append(orgs, orgIDs[o])
		}
		sent, err := svc.SendNotice(ctx, analyst, observe.NoticeInput{Orgs: orgs, Title: d.title, Body: d.body, Action: d.action,
			Severity: d.severity, Kind: d.kind})
		if err != nil {
			return fmt.Errorf("demo notice %d: %w", i, err)
		}
		if d.readAfter == 0 {
			continue
		}
		at = at.Add(d.readAfter)
		reader, err := a.Auth.Principal(ctx, userIDs[d.reader])
		if err != nil {
			return err
		}
		for _, n := range sent {
			if n.OrgID == reader.User.OrgID {
				if err := svc.MarkRead(ctx, reader, n.ID); err != nil {
					return err
				}
			}
		}
	}
	// The monitors: a certificate close to expiry (read late), a site down and back.
	cert := observe.Finding{AssetID: assets["https://www.toto-power.example/"], Check: "tls", Key: "tls:expiry", Problem: true, Severity: "medium",
		TitleJA: "TLS 証明書の有効期限が 14 日後に切れます", TitleEN: "The TLS certificate expires in 14 days",
		BodyJA: "https://www.toto-power.example/ の証明書の有効期限は 14 日後です。", BodyEN: "The certificate of https://www.toto-power.example/ expires in 14 days.",
		ActionJA: "証明書を更新してください。", ActionEN: "Renew the certificate.",
		Evidence: map[string]string{"not_after": now.Add(12 * 24 * time.Hour).Format(time.RFC3339), "issuer": "Example CA"}}
	at = now.Add(-2 * 24 * time.Hour)
	if err := svc.ReportFinding(ctx, cert); err != nil {
		return err
	}
	down := observe.Finding{AssetID: assets["https://tickets.tokyo2040.example/"], Check: "http", Key: "http:down", Problem: true, Severity: "high",
		TitleJA: "チケットサイトが応答していません", TitleEN: "The ticket site does not answer",
		BodyJA: "3 回続けて HTTP 503 が返りました。", BodyEN: "Three checks in a row answered HTTP 503.",
		ActionJA: "サーバの状態を確認してください。", ActionEN: "Check the servers.", Evidence: map[string]string{"status": "503"}}
	at = now.Add(-20 * time.Hour)
	if err := svc.ReportFinding(ctx, down); err != nil {
		return err
	}
	at = at.Add(35 * time.Minute)
	down.Problem, down.Severity, down.Evidence = false, "info", map[string]string{"status": "200"}
	if err := svc.ReportFinding(ctx, down); err != nil {
		return err
	}
	// A late read of the certificate notice.
	at = now.Add(-6 * time.Hour)
	sato, err := a.Auth.Principal(ctx, userIDs["m.suzuki@toto-power.example"])
	if err != nil {
		return err
	}
	list, _, err := svc.Notices(ctx, sato, observe.NoticeQuery{Limit: 5})
	if err != nil {
		return err
	}
	for _, n := range list {
		if n.Kind == observe.NoticeTLS {
			return svc.MarkRead(ctx, sato, n.ID)
		}
	}
	return nil
}
