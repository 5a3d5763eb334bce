package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
)

// demoCase is one case of the consultation desk. The seeds report 19 cases over the
// Games: 10 outages, 3 of heavy traffic, 3 DoS, 1 defacement and 2 consultations; the
// demo has the same mix, spread over the last days and across the states, one of them
// supported by a partner agency.
type demoCase struct {
	reporter             string
	kind, category       string
	title, description   string
	urgency, impact      string
	public               bool
	hoursAgo             float64
	observables          string
	steps                []string // states the center moves it through, 20 minutes apart
	reply, note, partner string   // the center's answer, an internal note, an invited partner
}

var demoCases = []demoCase{
	{"r.tanaka@toto-power.example", "incident", "system-outage", "需給管理システムの一部機能停止", "需給管理システムの画面表示が遅延し、一部機能が停止。サイバー攻撃の兆候は現時点で確認されていない。",
		"high", "no", false, 150, "", []string{"triage", "in-progress", "resolved", "closed"}, "ログの提供をお願いします。原因の切り分けを支援します。", "ハードウェア障害の可能性が高い。", ""},
	{"n.yoshida@shutoken-rail.example", "incident", "system-outage", "運行情報配信サーバの障害", "運行情報サイトが断続的に表示できない。ロードバランサの設定変更後から発生。",
		"high", "yes", true, 130, "", []string{"triage", "in-progress", "resolved", "closed"}, "設定変更の切り戻しを推奨します。", "大会輸送への影響を組織委員会リエゾンに連絡済み。", ""},
	{"c.inoue@chuo-telecom.example", "incident", "cloud-outage", "クラウド基盤の一部リージョン障害", "利用中のクラウド事業者のリージョン障害で顧客向けポータルが停止。",
		"high", "unknown", true, 110, "", []string{"triage", "in-progress", "resolved"}, "事業者の障害情報を共有します。復旧見込みが分かれば教えてください。", "", ""},
	{"k.shimizu@aoba-tv.example", "incident", "system-outage", "番組送出系の監視端末が起動しない", "監視端末1台がOS更新後に起動しない。送出自体は継続。",
		"medium", "no", false, 100, "", []string{"triage", "in-progress", "resolved", "closed"}, "OS更新の切り戻し手順を確認してください。", "", ""},
	{"y.mori@minato-bank.example", "incident", "system-outage", "ATM網の一時停止", "早朝に一部ATMが約40分停止。バッチ処理の遅延が原因と推定。",
		"high", "no", true, 90, "", []string{"triage", "in-progress", "resolved", "closed"}, "原因が確定したら報告をお願いします。", "", ""},
	{"s.maeda@tokyobay-airport.example", "incident", "system-outage", "フライト情報表示盤の表示停止", "第2ターミナルの表示盤の一部が表示停止。配信サーバ側の障害。",
		"high", "yes", false, 70, "", []string{"triage", "in-progress", "waiting-reporter"}, "復旧状況と影響範囲の続報をお願いします。", "組織委員会へ大会影響ありとして報告。", ""},
	{"a.hasegawa@metro-water.example", "incident", "system-outage", "遠隔監視システムの通信断", "浄水場の遠隔監視が一時通信断。現地で運転継続。",
		"critical", "no", false, 50, "", []string{"triage", "in-progress", "resolved"}, "通信回線事業者の障害情報と照合します。", "", ""},
	{"m.kondo@shuto-exp.example", "incident", "cloud-outage", "料金所システムの外部連携停止", "外部のクラウドサービス障害で料金データ連携が停止。",
		"medium", "no", false, 30, "", []string{"triage", "in-progress"}, "", "", ""},
	{"y.nakano@bayside-arena.example", "incident", "system-outage", "会場入場管理システムの遅延", "入場ゲートの認証が遅延し、一時的に手動対応。",
		"critical", "yes", true, 6, "", []string{"triage", "in-progress"}, "現地の状況を15分ごとに共有してください。", "", ""},
	{"r.takeuchi@tokyo2040.example", "incident", "system-outage", "ボランティア連絡システムの障害", "ボランティア向け連絡システムにログインできない。",
		"high", "yes", false, 4, "", []string{"triage"}, "", "", ""},
	{"a.ota@kokusai-travel.example", "incident", "heavy-traffic", "予約サイトへのアクセス集中", "チケット販売開始と同時に予約サイトへのアクセスが急増し、応答が遅延。",
		"medium", "no", true, 120, "", []string{"triage", "resolved", "closed"}, "攻撃ではなく正規アクセスの集中と見られます。", "", ""},
	{"y.ito@water-sports.example", "incident", "heavy-traffic", "公式サイトへのアクセス集中", "競技結果の公開直後にアクセスが集中し、サイトが表示しづらい。",
		"low", "no", false, 60, "", []string{"triage", "resolved"}, "CDNの利用をご検討ください。", "", ""},
	{"m.ono@cycling-assoc.example", "incident", "heavy-traffic", "ライブ配信ページの表示遅延", "ロードレースのライブ配信ページへのアクセスが急増。",
		"medium", "yes", false, 8, "", []string{"triage", "in-progress"}, "", "", ""},
	{"t.yamada@shutoken-rail.example", "incident", "dos", "乗換案内サイトへのDDoS攻撃", "海外の多数のIPアドレスから大量のリクエスト。WAFで一部遮断。",
		"critical", "yes", true, 80, "198.51.100.23\n203.0.113.45", []string{"triage", "in-progress", "waiting-partner", "in-progress", "resolved", "closed"},
		"攻撃元の情報を関係機関と共有しました。遮断を継続してください。", "ハクティビストの予告と時間帯が一致。", "Cyber Emergency Response Coordination Team"},
	{"t.ikeda@minato-bank.example", "incident", "dos", "インターネットバンキングへのDoS攻撃", "ログイン画面への大量アクセス。上位回線で遮断済み。",
		"high", "no", false, 40, "192.0.2.77", []string{"triage", "in-progress", "resolved"}, "攻撃元IPを注意喚起に反映します。", "", ""},
	{"h.wada@bayside-arena.example", "incident", "dos", "会場公式サイトへのDDoS予告", "SNS上で会場公式サイトへの攻撃予告を確認。現時点で攻撃なし。",
		"high", "unknown", true, 2, "", nil, "", "", ""},
	{"y.sakamoto@aozora-bus.example", "incident", "defacement", "運行案内ページの改ざん", "運行案内ページに不審なメッセージが表示された。CMSの脆弱性を悪用された可能性。",
		"high", "no", true, 20, "hxxp://203.0.113[.]80/info/index.html", []string{"triage", "in-progress", "waiting-reporter"},
		"改ざんされたページを公開停止し、CMSを最新版に更新してください。", "", ""},
	{"a.yamamoto@kanto-gas.example", "consultation", "other", "不審なメールへの対応の相談", "取引先を装ったメールを受信した。開封はしていない。対応方針について相談したい。",
		"low", "no", false, 140, "", []string{"triage", "resolved", "closed"}, "添付ファイルを開かずに削除し、注意喚起をご確認ください。", "", ""},
	{"s.hara@kitanomaru-stadium.example", "consultation", "other", "大会期間中の当直体制についての相談", "夜間の当直体制と連絡手順について助言がほしい。",
		"low", "no", false, 10, "", []string{"triage", "waiting-reporter"}, "センターの当直連絡先と、夜間の報告手順をお送りします。", "", ""},
}

// loadDesk files the demo cases as their reporters, at the times they happened, and has
// the center's analysts work on them.
func loadDesk(ctx context.Context, a *app.App, orgIDs, userIDs map[string]int64) error {
	now := a.Now()
	var at time.Time
	svc := desk.New(a.DB, func() time.Time { return at }, a.Desk.SLA())
	principal := func(email string) (auth.Principal, error) { return a.Auth.Principal(ctx, userIDs[email]) }
	analysts := []string{"k.nakamura@ccc.example", "a.kobayashi@ccc.example"}
	teams := []string{"IR担当 チーム1", "IR担当 チーム2", "IR担当 チーム3"}
	for i, d := range demoCases {
		at = now.Add(-time.Duration(d.hoursAgo * float64(time.Hour)))
		reporter, err := principal(d.reporter)
		if err != nil {
			return err
		}
		obs, err := desk.ObservablesFromText(d.observables)
		if err != nil {
			return fmt.Errorf("demo case %d: %w", i, err)
		}
		k, err := svc.File(ctx, reporter, desk.CaseInput{Kind: d.kind, Category: d.category, Title: d.title, Description: d.description,
			DetectedAt: at.Add(-25 * time.Minute), EventImpact: d.impact, PublicVisibility: d.public, Urgency: d.urgency, Observables: obs,
			Files: demoCaseFiles(d, at)})
		if err != nil {
			return fmt.Errorf("demo case %d: %w", i, err)
		}
		if len(d.steps) == 0 {
			continue
		}
		analyst, err := principal(analysts[i%len(analysts)])
		if err != nil {
			return err
		}
		for j, to := range d.steps {
			at = at.Add(time.Duration(12+j*20) * time.Minute)
			if j == 1 {
				if _, err := svc.Assign(ctx, analyst, k.ID, desk.Assignment{Team: teams[i%len(teams)], HandlerID: analyst.User.ID}); err != nil {
					return err
				}
				if d.reply != "" {
					if _, err := svc.AddMessage(ctx, analyst, k.ID, d.reply, false); err != nil {
						return err
					}
				}
				if d.note != "" {
					if _, err := svc.AddMessage(ctx, analyst, k.ID, d.note, true); err != nil {
						return err
					}
				}
			}
			if to == "waiting-partner" && d.partner != "" {
				if err := svc.InvitePartner(ctx, analyst, k.ID, orgIDs[d.partner]); err != nil {
					return err
				}
			}
			actor := analyst
			if to == "resolved" && j > 0 && d.steps[j-1] == "waiting-reporter" {
				actor = reporter
			}
			if _, err := svc.Transition(ctx, actor, k.ID, to); err != nil {
				return fmt.Errorf("demo case %d to %s: %w", i, to, err)
			}
			if to == "waiting-partner" && d.partner != "" {
				at = at.Add(40 * time.Minute)
				partner, err := principal("m.onodera@cerc.example")
				if err != nil {
					return err
				}
				if _, err := svc.AddMessageWithFiles(ctx, partner, k.ID, "攻撃元IPアドレスの観測状況を確認しました。同一の攻撃基盤が他組織にも向いています。", false,
					partnerAnalysis(d)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
