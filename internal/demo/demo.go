// Package demo loads a believable, entirely fictional data set so that a newcomer sees a
// living platform: the coordination center, about thirty member organizations across the
// seeds' sectors with two or three people each, and the communities of the seeds.
package demo

import (
	"context"
	"fmt"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// Result says what was loaded and how to sign in.
type Result struct {
	Loaded      bool
	Orgs        int
	Users       int
	Communities int
	Topics      int
	Password    string
	SignIns     []SignIn
}

// SignIn is one account worth trying.
type SignIn struct {
	Email string
	Note  string
}

type person struct {
	name, email string
	role        model.Role
}

type org struct {
	ja, en string
	kind   model.OrgKind
	sector string
	domain string
	people []person
}

// Load fills an empty database; it does nothing when organizations already exist.
func Load(ctx context.Context, a *app.App) (Result, error) {
	n, err := store.CountOrgs(ctx, a.DB.Read())
	if err != nil || n > 0 {
		return Result{}, err
	}
	res := Result{Loaded: true, Password: auth.GeneratePassword()}
	hash, err := a.Auth.Hasher().Hash(ctx, res.Password)
	if err != nil {
		return res, err
	}
	sys := auth.System()
	orgIDs := map[string]int64{}
	userIDs := map[string]int64{}
	for _, o := range orgs {
		created, err := a.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: o.ja, NameEN: o.en, Kind: string(o.kind), Sector: o.sector,
			Contacts: []model.Contact{{Label: "セキュリティ窓口 / Security desk", Email: "security@" + o.domain, Phone: "03-5555-0100"}}})
		if err != nil {
			return res, fmt.Errorf("organization %s: %w", o.en, err)
		}
		orgIDs[o.en] = created.ID
		res.Orgs++
		for _, p := range o.people {
			u, err := a.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: created.ID, Email: p.email + "@" + o.domain,
				DisplayName: p.name, Role: string(p.role)})
			if err != nil {
				return res, fmt.Errorf("person %s: %w", p.email, err)
			}
			// One hash for every demo account keeps start-up quick; the password is printed anyway.
			if err := a.DB.Write(ctx, func(c store.Conn) error { return store.SetPassword(ctx, c, u.ID, hash, a.Now()) }); err != nil {
				return res, err
			}
			userIDs[u.Email] = u.ID
			res.Users++
		}
	}
	communityIDs, err := loadCommunities(ctx, a, orgIDs, userIDs, &res)
	if err != nil {
		return res, err
	}
	if err := loadTopics(ctx, a, orgIDs, userIDs, communityIDs); err != nil {
		return res, err
	}
	res.Topics = len(demoTopics)
	// Consultation desk (desk.go): the seeds' 19 cases.
	if err := loadDesk(ctx, a, orgIDs, userIDs); err != nil {
		return res, err
	}
	// Indicator sharing (intel.go): collections and a few hundred indicators. They come
	// before the registered assets: loaded after, every indicator naming a demo asset would
	// become a notice of its own and bury the history below.
	if err := loadIntel(ctx, a, orgIDs, userIDs, communityIDs); err != nil {
		return res, err
	}
	// A finished MISP feed import into Toto Electric's collection (mispfeed.go).
	if err := loadMISPFeed(ctx, a, userIDs); err != nil {
		return res, err
	}
	// Observation: registered assets and a history of notices (observe.go).
	if err := loadObservation(ctx, a, orgIDs, userIDs); err != nil {
		return res, err
	}
	res.SignIns = []SignIn{
		{"admin@ccc.example", "center admin (2-step verification set up at first sign-in)"},
		{"k.nakamura@ccc.example", "center analyst"},
		{"t.sato@toto-power.example", "org admin of an electricity operator"},
		{"m.suzuki@toto-power.example", "member of an electricity operator"},
		{"y.ito@water-sports.example", "member of a sports body (closed community)"},
	}
	return res, nil
}

func loadCommunities(ctx context.Context, a *app.App, orgIDs, userIDs map[string]int64, res *Result) ([]int64, error) {
	sys := auth.System()
	type comm struct {
		in      community.Input
		members func(o org) bool
		mods    []string
	}
	all := func(org) bool { return true }
	comms := []comm{
		{community.Input{NameJA: "情報提供（プロ）", NameEN: "Threat information (professional)",
			DescriptionJA: "システム運用担当者や委託先事業者など、セキュリティ対策に携わる方向けの脅威情報。",
			DescriptionEN: "Threat information for people who run systems or work on security, including contractors."}, all,
			[]string{"k.nakamura@ccc.example"}},
		{community.Input{NameJA: "情報提供（一般）", NameEN: "Threat information (general)",
			DescriptionJA: "システム運用やセキュリティ対策を直接担当していない方向けの情報。",
			DescriptionEN: "Information for people who do not run systems or security themselves."}, all,
			[]string{"a.kobayashi@ccc.example"}},
		{community.Input{NameJA: "スポーツ関連団体", NameEN: "Sports bodies",
			DescriptionJA: "スポーツ関連団体と対処調整センターの閉じたコミュニティ。勉強会の案内や団体向けに選んだ情報を共有します。",
			DescriptionEN: "A closed community of sports bodies and the coordination center: study sessions and information chosen for them."},
			func(o org) bool { return o.kind == model.KindSports || o.kind == model.KindCenter },
			[]string{"k.nakamura@ccc.example"}},
	}
	var ids []int64
	for _, c := range comms {
		created, err := a.Communities.Create(ctx, sys, c.in)
		if err != nil {
			return nil, err
		}
		ids = append(ids, created.ID)
		res.Communities++
		for _, o := range orgs {
			if c.members(o) {
				if err := a.Communities.AddOrg(ctx, sys, created.ID, orgIDs[o.en]); err != nil {
					return nil, err
				}
			}
		}
		for _, m := range c.mods {
			if err := a.Communities.SetModerator(ctx, sys, created.ID, userIDs[m], true); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

var orgs = []org{
	{"対処調整センター", "Cyber Coordination Center", model.KindCenter, "", "ccc.example", []person{
		{"高橋 誠", "admin", model.RoleCenterAdmin},
		{"中村 恵子", "k.nakamura", model.RoleAnalyst},
		{"小林 新", "a.kobayashi", model.RoleAnalyst},
	}},
	{"東都電力株式会社", "Toto Electric Power", model.KindOperator, "electricity", "toto-power.example", []person{
		{"佐藤 健", "t.sato", model.RoleOrgAdmin}, {"鈴木 美咲", "m.suzuki", model.RoleMember}, {"田中 亮", "r.tanaka", model.RoleMember}}},
	{"関東ガスネット株式会社", "Kanto Gas Net", model.KindOperator, "gas", "kanto-gas.example", []person{
		{"渡辺 大輔", "d.watanabe", model.RoleOrgAdmin}, {"山本 彩", "a.yamamoto", model.RoleMember}}},
	{"首都圏鉄道株式会社", "Shutoken Railway", model.KindOperator, "railway", "shutoken-rail.example", []person{
		{"加藤 翔太", "s.kato", model.RoleOrgAdmin}, {"吉田 奈々", "n.yoshida", model.RoleMember}, {"山田 拓也", "t.yamada", model.RoleMember}}},
	{"湾岸高速鉄道株式会社", "Wangan Rapid Transit", model.KindOperator, "railway", "wangan-rt.example", []person{
		{"佐々木 学", "m.sasaki", model.RoleOrgAdmin}, {"山口 結衣", "y.yamaguchi", model.RoleMember}}},
	{"日本中央通信株式会社", "Nippon Chuo Telecom", model.KindOperator, "telecom", "chuo-telecom.example", []person{
		{"松本 直樹", "n.matsumoto", model.RoleOrgAdmin}, {"井上 千尋", "c.inoue", model.RoleMember}, {"木村 悠", "y.kimura", model.RoleMember}}},
	{"あおば放送株式会社", "Aoba Broadcasting", model.KindOperator, "broadcasting", "aoba-tv.example", []person{
		{"林 美穂", "m.hayashi", model.RoleOrgAdmin}, {"清水 健太", "k.shimizu", model.RoleMember}}},
	{"みなと銀行", "Minato Bank", model.KindOperator, "finance", "minato-bank.example", []person{
		{"山崎 聡", "s.yamazaki", model.RoleOrgAdmin}, {"森 由美", "y.mori", model.RoleMember}, {"池田 剛", "t.ikeda", model.RoleMember}}},
	{"さくらカード株式会社", "Sakura Card", model.KindOperator, "credit", "sakura-card.example", []person{
		{"橋本 真一", "s.hashimoto", model.RoleOrgAdmin}, {"阿部 舞", "m.abe", model.RoleMember}}},
	{"東京湾岸空港ターミナル株式会社", "Tokyo Bay Airport Terminal", model.KindOperator, "airport", "tokyobay-airport.example", []person{
		{"石川 浩二", "k.ishikawa", model.RoleOrgAdmin}, {"前田 さやか", "s.maeda", model.RoleMember}}},
	{"大和航空株式会社", "Yamato Airlines", model.KindOperator, "aviation", "yamato-air.example", []person{
		{"藤田 隆", "t.fujita", model.RoleOrgAdmin}, {"後藤 理沙", "r.goto", model.RoleMember}}},
	{"都市水道公社", "Metropolitan Waterworks", model.KindOperator, "water", "metro-water.example", []person{
		{"岡田 修", "o.okada", model.RoleOrgAdmin}, {"長谷川 愛", "a.hasegawa", model.RoleMember}}},
	{"首都高速道路サービス株式会社", "Shuto Expressway Services", model.KindOperator, "expressway", "shuto-exp.example", []person{
		{"村上 徹", "t.murakami", model.RoleOrgAdmin}, {"近藤 美香", "m.kondo", model.RoleMember}}},
	{"青空バス株式会社", "Aozora Bus", model.KindOperator, "bus", "aozora-bus.example", []person{
		{"石井 勇", "i.ishii", model.RoleOrgAdmin}, {"坂本 陽子", "y.sakamoto", model.RoleMember}}},
	{"東邦警備保障株式会社", "Toho Security Services", model.KindOperator, "security-services", "toho-keibi.example", []person{
		{"遠藤 剛志", "t.endo", model.RoleOrgAdmin}, {"青木 瞳", "h.aoki", model.RoleMember}}},
	{"中央ロジスティクス株式会社", "Chuo Logistics", model.KindOperator, "logistics", "chuo-logi.example", []person{
		{"藤井 誠一", "s.fujii", model.RoleOrgAdmin}, {"西村 薫", "k.nishimura", model.RoleMember}}},
	{"国際観光トラベル株式会社", "International Tourism Travel", model.KindOperator, "travel", "kokusai-travel.example", []person{
		{"福田 浩", "h.fukuda", model.RoleOrgAdmin}, {"太田 彩花", "a.ota", model.RoleMember}}},
	{"臨海総合病院", "Rinkai General Hospital", model.KindOperator, "hospital", "rinkai-hospital.example", []person{
		{"三浦 正樹", "m.miura", model.RoleOrgAdmin}, {"岡本 智子", "t.okamoto", model.RoleMember}}},
	{"湾岸熱供給株式会社", "Wangan District Heating", model.KindOperator, "heat-supply", "wangan-heat.example", []person{
		{"松田 和也", "k.matsuda", model.RoleOrgAdmin}, {"中川 紀子", "n.nakagawa", model.RoleMember}}},
	{"首都気象情報センター", "Capital Weather Information Center", model.KindOperator, "weather-disaster", "capital-weather.example", []person{
		{"中島 亮介", "r.nakajima", model.RoleOrgAdmin}, {"原田 恵", "m.harada", model.RoleMember}}},
	{"東京2040大会組織委員会", "Tokyo 2040 Organizing Committee", model.KindOrganizer, "", "tokyo2040.example", []person{
		{"小川 拓海", "t.ogawa", model.RoleOrgAdmin}, {"竹内 里奈", "r.takeuchi", model.RoleMember}, {"金子 大地", "d.kaneko", model.RoleMember}}},
	{"湾岸アリーナ運営株式会社", "Bayside Arena Operations", model.KindVenue, "venue", "bayside-arena.example", []person{
		{"和田 隼人", "h.wada", model.RoleOrgAdmin}, {"中野 優子", "y.nakano", model.RoleMember}}},
	{"北の丸スタジアム", "Kitanomaru Stadium", model.KindVenue, "venue", "kitanomaru-stadium.example", []person{
		{"上田 浩之", "h.ueda", model.RoleOrgAdmin}, {"原 さくら", "s.hara", model.RoleMember}}},
	{"日本ウォータースポーツ連盟", "Japan Water Sports Federation", model.KindSports, "", "water-sports.example", []person{
		{"田村 洋平", "y.tamura", model.RoleOrgAdmin}, {"伊藤 由紀", "y.ito", model.RoleMember}}},
	{"全国自転車競技協会", "National Cycling Association", model.KindSports, "", "cycling-assoc.example", []person{
		{"菊地 俊介", "s.kikuchi", model.RoleOrgAdmin}, {"大野 真央", "m.ono", model.RoleMember}}},
	{"日本フェンシング協会（架空）", "Japan Fencing Society (fictional)", model.KindSports, "", "fencing-society.example", []person{
		{"高木 恭平", "k.takagi", model.RoleOrgAdmin}}},
	{"パートナーエレクトロニクス株式会社", "Partner Electronics", model.KindPartner, "", "partner-elec.example", []person{
		{"安藤 弘", "h.ando", model.RoleOrgAdmin}, {"野口 綾", "a.noguchi", model.RoleMember}}},
	{"重要インフラ所管省", "Ministry of Critical Infrastructure", model.KindMinistry, "", "mci.example", []person{
		{"松井 康弘", "y.matsui", model.RoleOrgAdmin}, {"千葉 明日香", "a.chiba", model.RoleMember}}},
	{"首都警察サイバー対策本部", "Metropolitan Police Cyber Division", model.KindPolice, "", "metro-police.example", []person{
		{"岩崎 剛", "t.iwasaki", model.RoleOrgAdmin}, {"桜井 純", "j.sakurai", model.RoleMember}}},
	{"国立セキュリティ研究機構", "National Security Research Institute", model.KindSecurityAgency, "", "nsri.example", []person{
		{"内田 賢治", "k.uchida", model.RoleOrgAdmin}, {"平野 舞子", "m.hirano", model.RoleMember}}},
	{"サイバー緊急対応調整チーム", "Cyber Emergency Response Coordination Team", model.KindSecurityAgency, "", "cerc.example", []person{
		{"小野寺 誠", "m.onodera", model.RoleOrgAdmin}, {"杉山 彩", "a.sugiyama", model.RoleMember}}},
	{"あかつき脅威インテリジェンス株式会社", "Akatsuki Threat Intelligence", model.KindCTIVendor, "", "akatsuki-ti.example", []person{
		{"宮本 大樹", "d.miyamoto", model.RoleOrgAdmin}, {"今井 香織", "k.imai", model.RoleMember}}},
	{"湾岸市", "Wangan City", model.KindLocalGov, "local-gov-services", "city-wangan.example", []person{
		{"河野 博", "h.kono", model.RoleOrgAdmin}, {"工藤 美和", "m.kudo", model.RoleMember}}},
}
