package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
)

// demoTopic is one post of the demo's few weeks of activity. to names people (emails) or
// organizations (English names) for a selected scope; readers acknowledge it.
type demoTopic struct {
	daysAgo   float64
	community int // index into the demo communities
	author    string
	title     string
	body      string
	infoType  string
	priority  string
	tlp       string
	tags      []string
	toOrgs    []string
	toPeople  []string
	comments  []demoComment
	readers   []string
	file      *demoFile
}

type demoComment struct {
	author, body string
}

type demoFile struct {
	name, content string
}

const (
	commPro = iota
	commGeneral
	commSports
)

var demoTopics = []demoTopic{
	{daysAgo: 20, community: commPro, author: "k.nakamura@ccc.example", infoType: "schedule", tlp: "green",
		title: "大会期間中の当直体制と連絡先のご案内", tags: []string{"体制", "連絡先"},
		body:    "大会期間中、対処調整センターは24時間の当直体制をとります。\n\n- 平日・休日とも 2 名体制\n- 緊急時は電話連絡の上、本プラットフォームの「そうだんの窓口」から報告してください\n\n連絡先の変更があった組織は、組織情報の連絡先を更新してください。",
		readers: []string{"t.sato@toto-power.example", "s.kato@shutoken-rail.example", "n.matsumoto@chuo-telecom.example", "s.yamazaki@minato-bank.example"}},
	{daysAgo: 17, community: commPro, author: "k.nakamura@ccc.example", infoType: "vulnerability", priority: "important", tlp: "amber",
		title: "VPN装置の認証回避の脆弱性（架空の識別番号 CVE-2040-0101）への対応のお願い", tags: []string{"VPN", "脆弱性"},
		body: "複数ベンダーのVPN装置で、認証を回避して管理画面に到達できる脆弱性が公表されました。\n\n## 対応のお願い\n1. 利用しているVPN装置の機種とファームウェア版を確認してください\n2. 修正版を適用してください。適用までは管理画面を外部から到達できないようにしてください\n3. 過去30日間の管理画面へのアクセスログを確認してください\n\n攻撃コードの公開が確認されており、大会関係組織を狙った探索も観測されています。",
		comments: []demoComment{{"t.sato@toto-power.example", "当社は該当機種を使用していました。本日夜間に修正版を適用します。"},
			{"n.matsumoto@chuo-telecom.example", "弊社では該当なしを確認しました。"}},
		readers: []string{"t.sato@toto-power.example", "n.matsumoto@chuo-telecom.example", "s.kato@shutoken-rail.example", "d.watanabe@kanto-gas.example", "s.yamazaki@minato-bank.example", "t.fujita@yamato-air.example"}},
	{daysAgo: 14, community: commPro, author: "a.kobayashi@ccc.example", infoType: "malware", tlp: "amber",
		title: "ランサムウェアの侵入手口と検知のポイント（大会関係組織での観測を踏まえて）", tags: []string{"ランサムウェア", "IoC"},
		body:    "最近観測された侵入は、VPN装置の脆弱性を入口に、正規のリモート管理ツールで横展開する手口が中心です。\n\n**検知のポイント**\n- 深夜帯の管理者アカウントによる大量のログオン\n- バックアップサーバへの不審な接続\n\n添付のIoC一覧をブロックリストとしてご活用ください。",
		file:    &demoFile{"ioc-ransomware.txt", "198.51.100.23\n203.0.113.77\nupdate-check.example.net\n5d41402abc4b2a76b9719d911017c592\n"},
		readers: []string{"t.sato@toto-power.example", "m.hayashi@aoba-tv.example", "s.hashimoto@sakura-card.example"}},
	{daysAgo: 10, community: commGeneral, author: "a.kobayashi@ccc.example", infoType: "alert", tlp: "clear",
		title: "偽のライブ配信サイトにご注意ください", tags: []string{"フィッシング", "ライブ配信"},
		body:     "大会の競技を「無料でライブ配信」とうたう偽サイトが多数確認されています。\n\n- 視聴のためと称してクレジットカード情報を入力させます\n- 公式の配信は大会公式サイトから案内されるものだけです\n\n社内や関係者への周知にご利用ください（TLP:CLEAR のため公開可能です）。",
		comments: []demoComment{{"r.takeuchi@tokyo2040.example", "組織委員会の公式SNSでも注意喚起を掲載しました。"}},
		readers:  []string{"r.takeuchi@tokyo2040.example", "y.mori@minato-bank.example", "a.ota@kokusai-travel.example"}},
	{daysAgo: 8, community: commPro, author: "k.nakamura@ccc.example", infoType: "attack-forecast", priority: "important", tlp: "amber",
		title: "大会公式サイトおよび関係組織を標的としたDDoS攻撃の予告", tags: []string{"DDoS", "予告"},
		body: "ハクティビストを名乗るグループが、開会式当日に大会公式サイトと交通・通信分野の組織を標的としたDDoS攻撃を行うと予告しています。\n\n過去の同グループの攻撃では、HTTP GET フラッドと DNS 水責め攻撃が用いられました。CDN・DDoS対策サービスの設定と、事業者への連絡経路を改めて確認してください。",
		comments: []demoComment{{"s.kato@shutoken-rail.example", "運行情報サイトのCDN設定を確認しました。予告当日は監視を強化します。"},
			{"k.nakamura@ccc.example", "予告当日は当直を増員します。異常を検知した場合はすぐにご連絡ください。"}},
		readers: []string{"s.kato@shutoken-rail.example", "n.matsumoto@chuo-telecom.example", "m.sasaki@wangan-rt.example", "t.ogawa@tokyo2040.example"}},
	{daysAgo: 6, community: commPro, author: "k.nakamura@ccc.example", infoType: "observation", tlp: "amber+strict",
		title: "制御系ネットワークへの不審な探索通信の観測（電力・ガス分野向け）", tags: []string{"制御系", "観測"},
		toOrgs:  []string{"Toto Electric Power", "Kanto Gas Net"},
		body:    "電力・ガス分野の事業者の公開IPアドレス帯に対して、産業用プロトコルのポートを狙った探索通信が増えています。\n\n貴社の該当アドレスへの通信記録を個別にお送りしますので、ファイアウォールのログと照合してください。",
		readers: []string{"t.sato@toto-power.example"}},
	{daysAgo: 5, community: commPro, author: "a.kobayashi@ccc.example", infoType: "incident", priority: "caution", tlp: "green",
		title: "大量アクセスによるチケット関連サイトの応答遅延", tags: []string{"大量アクセス"},
		body:    "昨日夕方、チケット再販に関連する複数のサイトで応答遅延が発生しました。攻撃ではなく、販売開始に伴う正規の大量アクセスと判断しています。\n\n同様の販売開始を予定している組織は、事前にキャパシティを確認してください。",
		readers: []string{"h.fukuda@kokusai-travel.example", "t.ogawa@tokyo2040.example"}},
	{daysAgo: 4, community: commPro, author: "k.nakamura@ccc.example", infoType: "incident", tlp: "red",
		title: "関係者を装った情報窃取の試み（個別のご連絡）", tags: []string{"ソーシャルエンジニアリング"},
		toPeople: []string{"t.sato@toto-power.example", "s.kato@shutoken-rail.example"},
		body:     "貴社の担当者名を名乗り、対処調整センターに連絡先一覧の提供を求める電話がありました。センターからはお伝えしていません。\n\nこの情報は TLP:RED です。宛先のお二人以外に共有しないでください。",
		readers:  []string{"t.sato@toto-power.example"}},
	{daysAgo: 3, community: commSports, author: "k.nakamura@ccc.example", infoType: "schedule", tlp: "clear",
		title: "競技団体向け勉強会「標的型メールの見分け方」のご案内", tags: []string{"勉強会"},
		body:    "来週水曜日 15:00 からオンラインで勉強会を開きます。大会に関連した実際の標的型メールの例をもとに、見分け方と報告の手順を説明します。",
		readers: []string{"y.tamura@water-sports.example", "s.kikuchi@cycling-assoc.example"}},
	{daysAgo: 2, community: commGeneral, author: "a.kobayashi@ccc.example", infoType: "alert", tlp: "green",
		title: "Phishing kit targeting ticket resale platforms", tags: []string{"phishing", "English"},
		body:     "A phishing kit imitating ticket resale platforms is being sold on underground forums. It captures card details and one-time codes in real time.\n\nPlease share this with your customer support teams; the Japanese summary follows in the comments.",
		comments: []demoComment{{"a.kobayashi@ccc.example", "日本語での要約：チケット再販サイトを模したフィッシングキットが出回っています。ワンタイムコードもリアルタイムに窃取されます。"}},
		readers:  []string{"y.mori@minato-bank.example"}},
	{daysAgo: 1, community: commPro, author: "k.nakamura@ccc.example", infoType: "emergency", priority: "important", tlp: "amber",
		title: "開会式当日の緊急連絡手順の最終確認", tags: []string{"開会式", "緊急連絡"},
		body:    "開会式当日は、重大なインシデントが発生した場合に限り、電話での第一報の後に本プラットフォームで報告してください。\n\n- 第一報：当直電話\n- 続報：そうだんの窓口\n- 対外発表の前にセンターと内容を調整してください",
		readers: []string{"t.sato@toto-power.example", "s.kato@shutoken-rail.example", "t.ogawa@tokyo2040.example"}},
	{daysAgo: 0.2, community: commPro, author: "n.matsumoto@chuo-telecom.example", infoType: "observation", tlp: "green",
		title: "DNSサーバへの水責め攻撃の観測（通信事業者からの共有）", tags: []string{"DDoS", "DNS"},
		body: "当社の権威DNSサーバに対し、ランダムなサブドメインを問い合わせる水責め攻撃を観測しました。影響は軽微です。\n\n同様の事象を観測した組織があれば、コメントで共有をお願いします。"},
}

// loadTopics writes the demo's few weeks of activity, each post at its own time.
func loadTopics(ctx context.Context, a *app.App, orgIDs, userIDs map[string]int64, communityIDs []int64) error {
	now := a.Now()
	var at time.Time
	svc := sns.New(a.DB, func() time.Time { return at }, int64(a.Config.AttachmentMaxMiB)<<20)
	principal := func(email string) (auth.Principal, error) { return a.Auth.Principal(ctx, userIDs[email]) }
	for i, d := range demoTopics {
		at = now.Add(-time.Duration(d.daysAgo * float64(24*time.Hour)))
		author, err := principal(d.author)
		if err != nil {
			return err
		}
		in := sns.TopicInput{CommunityID: communityIDs[d.community], Title: d.title, Body: d.body, InfoType: d.infoType,
			Priority: d.priority, Tags: d.tags, TLP: d.tlp, Scope: string(model.ScopeCommunity)}
		if len(d.toOrgs) > 0 || len(d.toPeople) > 0 {
			in.Scope = string(model.ScopeSelected)
			for _, o := range d.toOrgs {
				in.Audience.Orgs = append(in.Audience.Orgs, orgIDs[o])
			}
			for _, u := range d.toPeople {
				in.Audience.Users = append(in.Audience.Users, userIDs[u])
			}
		}
		t, err := svc.CreateTopic(ctx, author, in)
		if err != nil {
			return fmt.Errorf("demo topic %d: %w", i, err)
		}
		if d.file != nil {
			if _, err := svc.AddAttachment(ctx, author, t.ID, 0, sns.Upload{Name: d.file.name, ContentType: "text/plain",
				Body: strings.NewReader(d.file.content)}); err != nil {
				return err
			}
		}
		for j, r := range d.readers {
			at = at.Add(time.Duration(7+j*23) * time.Minute)
			p, err := principal(r)
			if err != nil {
				return err
			}
			if _, err := svc.GetTopic(ctx, p, t.ID); err != nil {
				return fmt.Errorf("demo topic %d reader %s: %w", i, r, err)
			}
			if err := svc.Acknowledge(ctx, p, t.ID); err != nil {
				return err
			}
		}
		for _, c := range d.comments {
			at = at.Add(41 * time.Minute)
			p, err := principal(c.author)
			if err != nil {
				return err
			}
			if _, err := svc.AddComment(ctx, p, t.ID, sns.CommentInput{Body: c.body}); err != nil {
				return fmt.Errorf("demo topic %d comment: %w", i, err)
			}
		}
	}
	return nil
}
