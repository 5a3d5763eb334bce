package pattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// validPatterns are the STIX 2.1 specification's own pattern examples (section 9.9 and the
// operator tables) and edge cases of the grammar. want is the canonical form, or "" when
// the input is already canonical.
var validPatterns = []struct{ in, want string }{
	{`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, ""},
	{`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, ""},
	{`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`, ""},
	{`[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, ""},
	{`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`, ""},
	{`[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`, ""},
	{`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`, ""},
	{`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`, ""},
	{`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, ""},
	{`[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`, ""},
	{`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`, ""},
	{`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`, ""},
	{`[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`, ""},
	{`[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`, ""},
	{`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`, ""},
	{`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CYBERGATE\\INSTALL' AND windows-registry-key:values.data = 'C:\\Users\\Administrator\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\Winlogon.exe']`, ""},
	{`[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']`, ""},
	{`[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']`, ""},
	{`[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`, ""},
	{`[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`, ""},
	{`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`, ""},
	{`[ipv4-addr:value ISSUPERSET '198.51.100.0/24']`, ""},
	{`[ipv4-addr:value = '203.0.113.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, ""},
	{`[file:size IN (1, 2, 3)]`, ""},
	{`[ipv4-addr:value NOT IN ('198.51.100.1', '198.51.100.2')]`, ""},
	{`[file:name IN ()]`, ""},
	{`[directory:path LIKE 'C:\\Windows\\%\\foo']`, ""},
	{`[file:name NOT = 'a.exe' AND file:size NOT > 1024]`, ""},
	{`[EXISTS windows-registry-key:values]`, ""},
	{`[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`, ""},
	{`[artifact:payload_bin = b'QQ==' OR artifact:payload_bin = b'']`, ""},
	{`[process:pid = -1 OR process:pid = 0 OR process:pid >= 9223372036854775807]`, ""},
	{`[x-custom:float = -0.5 OR x-custom:float < .25]`, `[x-custom:float = -0.5 OR x-custom:float < 0.25]`},
	{`[x-custom:flag = true AND x-custom:other != false]`, ""},
	{`[x-custom:list[0].name = 'a' AND x-custom:list[-1].name = 'b']`, ""},
	{`[x-custom:'quoted key'.'it\'s' = 'x']`, ""},
	{`[x-custom:a.'AND' = 1 AND x-custom:a.'true' = 2]`, ""},
	{`[file:created > t'2016-01-01T00:00:00.123456Z']`, ""},
	{`[file:name = 'O\'Brien \\ backslash']`, ""},
	{`[file:name = '日本語のファイル名.exe']`, ""},
	{`[a:b = 1] AND ([c:d = 2] OR [e:f = 3])`, ""},
	{`([a:b = 1] AND [c:d = 2]) OR [e:f = 3]`, `[a:b = 1] AND [c:d = 2] OR [e:f = 3]`},
	{`[a:b = 1] FOLLOWEDBY ([c:d = 2] FOLLOWEDBY [e:f = 3])`, ""},
	{`(([a:b = 1] FOLLOWEDBY [c:d = 2]) FOLLOWEDBY [e:f = 3])`, `[a:b = 1] FOLLOWEDBY [c:d = 2] FOLLOWEDBY [e:f = 3]`},
	{`[a:b = 1 AND (c:d = 2 OR c:e = 3)]`, ""},
	{`[(a:b = 1 AND c:d = 2) OR c:e = 3]`, `[a:b = 1 AND c:d = 2 OR c:e = 3]`},
	{`[a:b = 1] REPEATS 2 TIMES WITHIN 5.5 SECONDS START t'2020-01-01T00:00:00Z' STOP t'2020-02-29T00:00:00Z'`, ""},
	{"[ file:name\t==  'a' ]\n/* comment */ AND // line comment\n[file:size <> +12]", `[file:name = 'a'] AND [file:size != 12]`},
	{"[file:name\u3000=\u00a0'全角スペース']", `[file:name = '全角スペース']`},
	{`[file:magic_number_hex = h'FFD8']`, `[file:magic_number_hex = h'ffd8']`},
	{`[a:b = 1] START t'2016-01-01T00:00:00.5Z' STOP t'2016-01-01T00:00:00.50001Z'`, ""},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validPatterns {
		p, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if got := p.String(); got != want {
			t.Errorf("String of %q\n got %q\nwant %q", tc.in, got, want)
		}
		again, err := Parse(p.String())
		if err != nil {
			t.Errorf("reparse %q: %v", p.String(), err)
			continue
		}
		if !reflect.DeepEqual(p, again) {
			t.Errorf("round trip of %q changed the tree", tc.in)
		}
	}
}

// TestPrecedence checks the shape of the tree, not only the printing.
func TestPrecedence(t *testing.T) {
	p := mustParse(t, `[a:b = 1] FOLLOWEDBY [c:d = 2] OR [e:f = 3] AND [g:h = 4] WITHIN 5 SECONDS`)
	fb, ok := p.Root.(*ObservationOp)
	if !ok || fb.Op != ObsFollowedBy {
		t.Fatalf("root is %T, want FOLLOWEDBY", p.Root)
	}
	or, ok := fb.Right.(*ObservationOp)
	if !ok || or.Op != ObsOr {
		t.Fatalf("FOLLOWEDBY right is %#v, want OR", fb.Right)
	}
	and, ok := or.Right.(*ObservationOp)
	if !ok || and.Op != ObsAnd {
		t.Fatalf("OR right is %#v, want AND", or.Right)
	}
	if q, ok := and.Right.(*Qualified); !ok || q.Kind != Within || q.Seconds.Int != 5 {
		t.Fatalf("the qualifier binds to the last observation only, got %#v", and.Right)
	}

	c := mustParse(t, `[a:b = 1 OR a:c = 2 AND a:d = 3]`).Root.(*Observation).Expr
	if op, ok := c.(*ComparisonOp); !ok || op.Op != Or {
		t.Fatalf("comparison AND must bind tighter than OR, got %#v", c)
	}

	left := mustParse(t, `[a:b = 1] AND [a:b = 2] AND [a:b = 3]`).Root.(*ObservationOp)
	if _, ok := left.Left.(*ObservationOp); !ok {
		t.Fatal("AND chains must be left-associative")
	}
}

func TestLiterals(t *testing.T) {
	cases := []struct {
		in   string
		want Literal
	}{
		{`'it\'s'`, Literal{Kind: StringLit, Str: "it's"}},
		{`'a\\b'`, Literal{Kind: StringLit, Str: `a\b`}},
		{`42`, Literal{Kind: IntLit, Int: 42}},
		{`+42`, Literal{Kind: IntLit, Int: 42}},
		{`-42`, Literal{Kind: IntLit, Int: -42}},
		{`3.25`, Literal{Kind: FloatLit, Float: 3.25}},
		{`-.5`, Literal{Kind: FloatLit, Float: -0.5}},
		{`true`, Literal{Kind: BoolLit, Bool: true}},
		{`h'00ff'`, Literal{Kind: HexLit, Bytes: []byte{0, 255}}},
		{`b'AAE='`, Literal{Kind: BinaryLit, Bytes: []byte{0, 1}}},
		{`t'2016-02-29T23:59:60.000Z'`, Literal{Kind: TimestampLit, Str: "2016-02-29T23:59:60.000Z"}},
	}
	for _, tc := range cases {
		p := mustParse(t, "[x:y = "+tc.in+"]")
		got := p.Root.(*Observation).Expr.(*Comparison).Value
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	p := mustParse(t, `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`)
	path := p.Root.(*Observation).Expr.(*Comparison).Path
	want := ObjectPath{Type: "file", Steps: []Step{{Kind: KeyStep, Key: "extensions"},
		{Kind: KeyStep, Key: "windows-pebinary-ext"}, {Kind: KeyStep, Key: "sections"},
		{Kind: AnyStep}, {Kind: KeyStep, Key: "entropy"}}}
	if !reflect.DeepEqual(path, want) {
		t.Fatalf("got %#v", path)
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{``, 0, "expected '[' or '('"},
		{`file:name = 'a'`, 0, "expected '[' or '('"},
		{`[file:name = 'a'`, 16, "expected AND, OR or ']'"},
		{`[file:name = 'a']]`, 17, "expected AND, OR, FOLLOWEDBY"},
		{`[file:name 'a']`, 11, "expected a comparison operator"},
		{`[file name = 'a']`, 6, "expected ':'"},
		{`[file: = 'a']`, 7, "expected a property name"},
		{`[file:hashes.SHA-256 = 'a']`, 13, "must be quoted"},
		{`[file:hashes. = 'a']`, 14, "expected a property name after '.'"},
		{`[file:name = 'a]`, 13, "unterminated string"},
		{`[file:name = 'a\n']`, 15, "invalid escape"},
		{`[file:name = 'a' and file:size = 1]`, 17, "expected AND, OR or ']'"},
		{`[file:name LIKE 1]`, 16, "expected a string after LIKE"},
		{`[file:name MATCHES true]`, 19, "expected a string after MATCHES"},
		{`[file:size > true]`, 13, "expected a string, number"},
		{`[file:size IN 1]`, 14, "expected '(' to open the set"},
		{`[file:size IN (1 2)]`, 17, "expected ',' or ')'"},
		{`[file:size IN (1,)]`, 17, "expected a literal in the set"},
		{`[file:size = 01]`, 13, "leading zero"},
		{`[file:size = 99999999999999999999]`, 13, "out of range"},
		{`[file:size = +]`, 13, "expected digits"},
		{`[file:x = h'abc']`, 10, "invalid hex literal"},
		{`[file:x = h'zz']`, 10, "invalid hex literal"},
		{`[file:x = b'abc']`, 10, "invalid binary literal"},
		{`[file:x = b'a=bc']`, 10, "invalid binary literal"},
		{`[file:x = t'2016-13-01T00:00:00Z']`, 10, "no such month"},
		{`[file:x = t'2015-02-29T00:00:00Z']`, 10, "no such day"},
		{`[file:x = t'2016-01-01T24:00:00Z']`, 10, "no such time"},
		{`[file:x = t'2016-01-01T00:00:00']`, 10, "invalid timestamp"},
		{`[file:x = t'2016-01-01T00:00:00+09:00']`, 10, "invalid timestamp"},
		{`[file:x = t'2016-01-01T00:00:00.Z']`, 10, "fraction"},
		{`[file:x = t'2016-01-01 00:00:00Z']`, 10, "invalid timestamp"},
		{`[a:b = 1] WITHIN 0 SECONDS`, 17, "positive number of seconds"},
		{`[a:b = 1] WITHIN -5 SECONDS`, 17, "positive number of seconds"},
		{`[a:b = 1] WITHIN 5`, 18, "expected 'SECONDS'"},
		{`[a:b = 1] REPEATS 0 TIMES`, 18, "positive integer after REPEATS"},
		{`[a:b = 1] REPEATS 1.5 TIMES`, 18, "positive integer after REPEATS"},
		{`[a:b = 1] REPEATS 2`, 19, "expected 'TIMES'"},
		{`[a:b = 1] START t'2016-01-01T00:00:00Z'`, 39, "expected 'STOP'"},
		{`[a:b = 1] START '2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'`, 16, "timestamp t'...' after START"},
		{`[a:b = 1] START t'2016-01-02T00:00:00Z' STOP t'2016-01-01T00:00:00Z'`, 45, "STOP time must be later"},
		{`[a:b = 1] START t'2016-01-01T00:00:00.5Z' STOP t'2016-01-01T00:00:00.500Z'`, 47, "STOP time must be later"},
		{`[a:b = 1] AND`, 13, "expected '[' or '('"},
		{`[a:b = 1] FOLLOWEDBY`, 20, "expected '[' or '('"},
		{`([a:b = 1]`, 10, "expected AND, OR, FOLLOWEDBY, a qualifier or ')'"},
		{`[(a:b = 1]`, 9, "expected AND, OR or ')'"},
		{`[a:b[x] = 1]`, 5, "expected a list index or '*'"},
		{`[a:b[1 = 1]`, 7, "expected ']' after the list index"},
		{`[a:b = 1] /* open`, 10, "unterminated comment"},
		{`[a:b = 1] & [c:d = 2]`, 10, "unexpected character '&'"},
		{`[a:b ! 1]`, 5, "unexpected character '!'"},
		{`[a:b = 1] 。`, 10, "unexpected character '。'"},
		{`[EXISTS = 1]`, 8, "expected an object path"},
		{`[a:AND = 1]`, 3, "expected a property name"},
		{`[a:b NOT EXISTS]`, 9, "expected a comparison operator"},
		{`[]`, 1, "expected an object path"},
		{strings.Repeat("(", MaxDepth+1) + "[a:b = 1]" + strings.Repeat(")", MaxDepth+1), MaxDepth, "nesting deeper"},
		{"[" + strings.Repeat("(", MaxDepth+1) + "a:b = 1" + strings.Repeat(")", MaxDepth+1) + "]", MaxDepth, "nesting deeper"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a syntax error", tc.in, err)
			continue
		}
		if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("Parse(%q) = %v; want offset %d and %q", tc.in, err, tc.offset, tc.msg)
		}
	}
}

func TestObservables(t *testing.T) {
	cases := []struct {
		in   string
		want []Observable
	}{
		{`[ipv4-addr:value = '1.2.3.4']`, []Observable{{"ipv4-addr", "value", "1.2.3.4", true}}},
		{`[ipv4-addr:value ISSUBSET '10.0.0.0/8']`, []Observable{{"ipv4-addr", "value", "10.0.0.0/8", true}}},
		{`[file:hashes.'SHA-256' = 'abc' OR file:hashes.MD5 = 'def']`, []Observable{
			{"file", "hashes.SHA-256", "abc", true}, {"file", "hashes.MD5", "def", true}}},
		{`[domain-name:value IN ('a.example', 'b.example', 1)]`, []Observable{
			{"domain-name", "value", "a.example", true}, {"domain-name", "value", "b.example", true}}},
		{`[url:value = 'http://a.example/'] OR [email-addr:value = 'x@b.example']`, []Observable{
			{"url", "value", "http://a.example/", true}, {"email-addr", "value", "x@b.example", true}}},
		{`[file:name = 'a.exe' AND file:size = 10]`, []Observable{{"file", "name", "a.exe", false}}},
		{`[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']`, []Observable{
			{"ipv4-addr", "value", "1.2.3.4", false}, {"domain-name", "value", "a.example", false}}},
		{`[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES`, []Observable{{"ipv4-addr", "value", "1.2.3.4", false}}},
		{`[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']`, []Observable{
			{"ipv4-addr", "value", "1.2.3.4", false}, {"ipv4-addr", "value", "5.6.7.8", false}}},
		{`[x:list[*].name = 'n' OR x:list[2].name = 'm']`, []Observable{
			{"x", "list[*].name", "n", true}, {"x", "list[2].name", "m", true}}},
		{`[ipv4-addr:value != '1.2.3.4' OR ipv4-addr:value NOT = '5.6.7.8']`, nil},
		{`[file:name LIKE 'a%' OR file:name MATCHES '^b' OR EXISTS file:size]`, nil},
		{`[domain-name:value ISSUBSET 'example.com']`, nil},
	}
	for _, tc := range cases {
		got := mustParse(t, tc.in).Observables()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func mustParse(t *testing.T, s string) *Pattern {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return p
}
