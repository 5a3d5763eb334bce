package model

import (
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
)

// CaseKind is what an organization brings to the consultation desk (そうだんの窓口).
type CaseKind string

// The case kinds: an incident report, a request for support, a consultation (advice).
const (
	CaseIncident     CaseKind = "incident"
	CaseSupport      CaseKind = "support"
	CaseConsultation CaseKind = "consultation"
)

// CaseKinds lists the kinds in display order.
var CaseKinds = []CaseKind{CaseIncident, CaseSupport, CaseConsultation}

// CaseCategory is what happened: システム障害, クラウドサービス障害, 大量アクセス, DoS/DDoS,
// Web改ざん, 不正アクセス, マルウェア・ランサムウェア, 情報漏えい, フィッシング, その他.
type CaseCategory string

// CaseCategories lists the categories in the seeds' order.
var CaseCategories = []CaseCategory{"system-outage", "cloud-outage", "heavy-traffic", "dos", "defacement",
	"unauthorized-access", "malware", "data-leak", "phishing", "other"}

// CaseState is where a case stands: 受付 → トリアージ → 対応中 → 支援要請中 → 報告者確認待ち →
// 解決 → クローズ.
type CaseState string

// The case states.
const (
	CaseNew             CaseState = "new"
	CaseTriage          CaseState = "triage"
	CaseInProgress      CaseState = "in-progress"
	CaseWaitingPartner  CaseState = "waiting-partner"
	CaseWaitingReporter CaseState = "waiting-reporter"
	CaseResolved        CaseState = "resolved"
	CaseClosed          CaseState = "closed"
)

// CaseStates lists the states in their usual order.
var CaseStates = []CaseState{CaseNew, CaseTriage, CaseInProgress, CaseWaitingPartner, CaseWaitingReporter,
	CaseResolved, CaseClosed}

// Open reports whether the case is still being worked on (its resolution clock runs).
func (s CaseState) Open() bool { return s != CaseResolved && s != CaseClosed }

// Urgency is how fast a case needs attention; it sets the SLA clocks.
type Urgency string

// The urgencies, most urgent first.
const (
	UrgencyCritical Urgency = "critical"
	UrgencyHigh     Urgency = "high"
	UrgencyMedium   Urgency = "medium"
	UrgencyLow      Urgency = "low"
)

// Urgencies lists the urgencies, most urgent first.
var Urgencies = []Urgency{UrgencyCritical, UrgencyHigh, UrgencyMedium, UrgencyLow}

// Impact is the answer to "does this affect the event's operations?".
type Impact string

// The answers.
const (
	ImpactYes     Impact = "yes"
	ImpactNo      Impact = "no"
	ImpactUnknown Impact = "unknown"
)

// Impacts lists the answers.
var Impacts = []Impact{ImpactYes, ImpactNo, ImpactUnknown}

// ObservableKind is the kind of a structured indicator attached to a case.
type ObservableKind string

// The observable kinds.
const (
	ObsIP     ObservableKind = "ip"
	ObsDomain ObservableKind = "domain"
	ObsURL    ObservableKind = "url"
	ObsHash   ObservableKind = "hash"
)

// ObservableKinds lists the kinds.
var ObservableKinds = []ObservableKind{ObsIP, ObsDomain, ObsURL, ObsHash}

func parseCode[T ~string](s string, all []T, key string) (T, error) {
	for _, x := range all {
		if string(x) == s {
			return x, nil
		}
	}
	var zero T
	return zero, fault.New(fault.Invalid, key, "value", s, "allowed", joinCodes(all))
}

// ParseCaseKind accepts a case kind code.
func ParseCaseKind(s string) (CaseKind, error) { return parseCode(s, CaseKinds, "invalid.case_kind") }

// ParseCaseCategory accepts a category code.
func ParseCaseCategory(s string) (CaseCategory, error) {
	return parseCode(s, CaseCategories, "invalid.case_category")
}

// ParseCaseState accepts a state code.
func ParseCaseState(s string) (CaseState, error) {
	return parseCode(s, CaseStates, "invalid.case_state")
}

// ParseUrgency accepts an urgency code.
func ParseUrgency(s string) (Urgency, error) { return parseCode(s, Urgencies, "invalid.urgency") }

// ParseImpact accepts yes, no or unknown.
func ParseImpact(s string) (Impact, error) { return parseCode(s, Impacts, "invalid.impact") }

// ParseObservableKind accepts ip, domain, url or hash.
func ParseObservableKind(s string) (ObservableKind, error) {
	return parseCode(s, ObservableKinds, "invalid.observable_kind")
}

// Observable is one indicator reported with a case, normalised.
type Observable struct {
	Kind  ObservableKind
	Value string
}

// Case is one report or request to the consultation desk.
type Case struct {
	ID               int64
	OrgID            int64 // the reporting organization
	ReporterID       int64
	Kind             CaseKind
	Category         CaseCategory
	Title            string
	Description      string
	DetectedAt       time.Time
	AffectedServices string
	EventImpact      Impact
	PublicVisibility bool // reported in the press or on social media
	Urgency          Urgency
	State            CaseState
	Team             string // the IR team assigned
	HandlerID        int64  // the analyst in charge
	MergedInto       int64  // the case this duplicate was merged into
	Observables      []Observable
	CreatedAt        time.Time
	UpdatedAt        time.Time
	FirstResponseAt  time.Time
	ResolvedAt       time.Time
	ClosedAt         time.Time
	// The SLA clocks, set from the urgency when the case is filed or its urgency changes.
	ResponseDueAt, ResponseWarnAt time.Time
	ResolveDueAt, ResolveWarnAt   time.Time
}

// CaseMessage is one message of a case's thread, or an internal note (center only).
type CaseMessage struct {
	ID          int64
	CaseID      int64
	AuthorID    int64
	AuthorOrgID int64
	Internal    bool
	Body        string
	CreatedAt   time.Time
}

// CaseEvent is one entry of a case's timeline: a state change, an assignment, a partner
// invited or revoked, a link, a merge.
type CaseEvent struct {
	ID        int64
	CaseID    int64
	ActorID   int64
	Kind      string
	FromState CaseState
	ToState   CaseState
	Detail    string // JSON object
	At        time.Time
}

// CasePartner is a partner organization currently invited into a case.
type CasePartner struct {
	CaseID    int64
	OrgID     int64
	InvitedBy int64
	InvitedAt time.Time
}
