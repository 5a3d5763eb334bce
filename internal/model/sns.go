package model

import (
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
)

// TLP is a FIRST TLP 2.0 marking.
type TLP string

const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// TLPs lists the markings from the most open to the most restricted.
var TLPs = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// ParseTLP accepts a marking in any case, with or without the "TLP:" prefix; the TLP 1.0
// WHITE of the seeds is read as CLEAR.
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	if v == "white" {
		return TLPClear, nil
	}
	for _, t := range TLPs {
		if string(t) == v {
			return t, nil
		}
	}
	return "", fault.New(fault.Invalid, "invalid.tlp", "value", s, "allowed", joinCodes(TLPs))
}

// Label is the marking as printed: TLP:AMBER+STRICT.
func (t TLP) Label() string { return "TLP:" + strings.ToUpper(string(t)) }

// LeavesPlatform reports whether content under this marking may go out in an email or a
// webhook body. TLP:RED and TLP:AMBER+STRICT never do: the message only says that something
// arrived and links to it.
func (t TLP) LeavesPlatform() bool { return t != TLPRed && t != TLPAmberStrict }

// InfoType is one of the eight information types of the seeds.
type InfoType string

// InfoTypes in the seeds' order: 脆弱性情報, 攻撃予見情報, 不正プログラム情報, 注意喚起情報,
// 観測／分析関連情報, インシデント情報, 大会関連スケジュール情報, 緊急事態情報.
var InfoTypes = []InfoType{"vulnerability", "attack-forecast", "malware", "alert",
	"observation", "incident", "schedule", "emergency"}

// ParseInfoType accepts an information type code.
func ParseInfoType(s string) (InfoType, error) {
	for _, t := range InfoTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fault.New(fault.Invalid, "invalid.info_type", "value", s, "allowed", joinCodes(InfoTypes))
}

// Priority is the tag shown before a title: 【重要】 (important), 【注意】 (caution) or none.
type Priority string

const (
	PriorityNone      Priority = ""
	PriorityImportant Priority = "important"
	PriorityCaution   Priority = "caution"
)

// Priorities lists the tags, none first.
var Priorities = []Priority{PriorityNone, PriorityImportant, PriorityCaution}

// ParsePriority accepts "important", "caution", or "" / "none".
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "", "none":
		return PriorityNone, nil
	case string(PriorityImportant), string(PriorityCaution):
		return Priority(s), nil
	}
	return "", fault.New(fault.Invalid, "invalid.priority", "value", s, "allowed", "none, important, caution")
}

// Scope says who a topic is shared with: the whole community, or selected organizations
// and people (the seeds' 手動選択).
type Scope string

const (
	ScopeCommunity Scope = "community"
	ScopeSelected  Scope = "selected"
)

// ParseScope accepts a scope code.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case ScopeCommunity, ScopeSelected:
		return Scope(s), nil
	}
	return "", fault.New(fault.Invalid, "invalid.scope", "value", s, "allowed", "community, selected")
}

// Topic is a post in a community.
type Topic struct {
	ID           int64
	CommunityID  int64
	AuthorID     int64
	AuthorOrgID  int64
	Title        string
	Body         string // Markdown
	InfoType     InfoType
	Priority     Priority
	Tags         []string
	TLP          TLP
	Scope        Scope
	ShowAudience bool // recipients of a selected-scope topic may see who else received it
	Pinned       bool
	Version      int
	CommentCount int
	AckCount     int
	CreatedAt    time.Time
	EditedAt     time.Time
	LastActivity time.Time
	DeletedAt    time.Time
}

// Deleted reports whether the topic was deleted.
func (t Topic) Deleted() bool { return !t.DeletedAt.IsZero() }

// Audience is the named audience of a selected-scope topic.
type Audience struct {
	Orgs  []int64
	Users []int64
}

// Empty reports whether nobody is named.
func (a Audience) Empty() bool { return len(a.Orgs) == 0 && len(a.Users) == 0 }

// TopicVersion is an earlier state of an edited topic.
type TopicVersion struct {
	TopicID  int64
	Version  int
	Title    string
	Body     string
	InfoType InfoType
	Priority Priority
	TLP      TLP
	Tags     []string
	EditedBy int64
	EditedAt time.Time
}

// Comment is a reply to a topic, or to a comment (one level).
type Comment struct {
	ID          int64
	TopicID     int64
	ParentID    int64
	AuthorID    int64
	AuthorOrgID int64
	Body        string
	CreatedAt   time.Time
	EditedAt    time.Time
	DeletedAt   time.Time
}

// Deleted reports whether the comment was deleted.
func (c Comment) Deleted() bool { return !c.DeletedAt.IsZero() }

// Attachment is a file on a topic or on one of its comments.
type Attachment struct {
	ID          int64
	TopicID     int64
	CommentID   int64
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	UploadedBy  int64
	CreatedAt   time.Time
}

// ReadState is what one person did with one topic.
type ReadState struct {
	FirstViewAt time.Time
	ViewCount   int
	AckedAt     time.Time
	Bookmarked  bool
}

// Key is the marking's code in message keys: tlp.amber-strict for amber+strict.
func (t TLP) Key() string { return strings.ReplaceAll(string(t), "+", "-") }
