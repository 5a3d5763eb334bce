package lookalike

// DefaultDictionary holds the words phishing names for Japanese organizations and events
// tend to add to a brand: sign-in and account pages, support desks, "official" shops and
// ticket sales, live streams, and their Japanese forms (公式 = official, 配信 = stream).
var DefaultDictionary = []string{
	"login", "signin", "secure", "security", "support", "help", "official", "account",
	"verify", "auth", "id", "mypage", "member", "update", "service", "info", "portal",
	"online", "web", "mail", "app", "pay", "card", "bank", "shop", "store", "ticket",
	"tickets", "live", "stream", "tv", "news", "event", "entry", "jp", "japan", "tokyo",
	"2020", "cs", "center",
	"公式", "ログイン", "サポート", "チケット", "ライブ", "配信", "会員", "本人確認",
}

// DefaultTLDs are the public suffixes tld-swap tries: the common generic ones, the .jp
// second-level domains (co.jp for companies, ne.jp for network services, or.jp for other
// organizations, go.jp for government, ac.jp for universities, …), Japanese city and
// regional TLDs, .コム (the katakana .com), and TLDs often seen in phishing campaigns.
var DefaultTLDs = []string{
	"com", "net", "org", "info", "biz", "jp",
	"co.jp", "ne.jp", "or.jp", "go.jp", "ac.jp", "ad.jp", "ed.jp", "gr.jp", "lg.jp",
	"tokyo", "osaka", "nagoya", "yokohama", "kyoto", "okinawa", "ryukyu", "コム",
	"co", "cc", "io", "me", "tv", "asia", "cn", "kr", "tw", "hk", "us", "eu", "co.uk",
	"app", "dev", "xyz", "top", "online", "site", "shop", "store", "club", "live",
	"vip", "icu", "cyou", "buzz", "work", "link", "click", "support", "cloud",
}
