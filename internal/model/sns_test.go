package model_test

import (
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
)

func TestParseTLPAcceptsTheUsualSpellingsAndWhiteAsClear(t *testing.T) {
	for in, want := range map[string]model.TLP{
		"clear": model.TLPClear, "TLP:CLEAR": model.TLPClear, "white": model.TLPClear, "TLP:WHITE": model.TLPClear,
		"green": model.TLPGreen, " Green ": model.TLPGreen,
		"amber": model.TLPAmber, "tlp:amber": model.TLPAmber,
		"amber+strict": model.TLPAmberStrict, "TLP:AMBER+STRICT": model.TLPAmberStrict,
		"red": model.TLPRed, "TLP:RED": model.TLPRed,
	} {
		if got, err := model.ParseTLP(in); err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "amber strict", "amber-strict", "TLP:", "tlp:tlp:red", "black"} {
		_, err := model.ParseTLP(bad)
		wantKey(t, "ParseTLP("+bad+")", err, "invalid.tlp")
	}
	_, err := model.ParseTLP("black")
	if fault.As(err).Args["allowed"] != "clear, green, amber, amber+strict, red" {
		t.Errorf("allowed: %v", fault.As(err).Args)
	}
}

func TestTLPLabelsKeysAndWhatLeavesThePlatform(t *testing.T) {
	want := []struct {
		label, key string
		leaves     bool
	}{
		{"TLP:CLEAR", "clear", true},
		{"TLP:GREEN", "green", true},
		{"TLP:AMBER", "amber", true},
		{"TLP:AMBER+STRICT", "amber-strict", false},
		{"TLP:RED", "red", false},
	}
	if len(model.TLPs) != len(want) {
		t.Fatalf("%v", model.TLPs)
	}
	for i, tlp := range model.TLPs {
		if tlp.Label() != want[i].label || tlp.Key() != want[i].key || tlp.LeavesPlatform() != want[i].leaves {
			t.Errorf("%s: %s %s %v", tlp, tlp.Label(), tlp.Key(), tlp.LeavesPlatform())
		}
		// A label reads back as its marking.
		if back, err := model.ParseTLP(tlp.Label()); err != nil || back != tlp {
			t.Errorf("ParseTLP(%s) = %s %v", tlp.Label(), back, err)
		}
	}
}

func TestTopicCodes(t *testing.T) {
	if len(model.InfoTypes) != 8 {
		t.Fatalf("%d information types", len(model.InfoTypes))
	}
	for _, it := range model.InfoTypes {
		if got, err := model.ParseInfoType(string(it)); err != nil || got != it {
			t.Errorf("ParseInfoType(%s): %v", it, err)
		}
	}
	for _, bad := range []string{"", "Alert", "news"} {
		_, err := model.ParseInfoType(bad)
		wantKey(t, "ParseInfoType("+bad+")", err, "invalid.info_type")
	}
	for in, want := range map[string]model.Priority{"": model.PriorityNone, "none": model.PriorityNone,
		"important": model.PriorityImportant, "caution": model.PriorityCaution} {
		if got, err := model.ParsePriority(in); err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"urgent", "Important", " none"} {
		_, err := model.ParsePriority(bad)
		wantKey(t, "ParsePriority("+bad+")", err, "invalid.priority")
	}
	for _, s := range []string{"community", "selected"} {
		if got, err := model.ParseScope(s); err != nil || string(got) != s {
			t.Errorf("ParseScope(%s): %v", s, err)
		}
	}
	for _, bad := range []string{"", "public", "Community"} {
		_, err := model.ParseScope(bad)
		wantKey(t, "ParseScope("+bad+")", err, "invalid.scope")
	}
}

func TestDeletedAndEmpty(t *testing.T) {
	if (model.Topic{}).Deleted() || !(model.Topic{DeletedAt: time.Unix(1, 0)}).Deleted() {
		t.Error("Topic.Deleted")
	}
	if (model.Comment{}).Deleted() || !(model.Comment{DeletedAt: time.Unix(1, 0)}).Deleted() {
		t.Error("Comment.Deleted")
	}
	if !(model.Audience{}).Empty() || (model.Audience{Orgs: []int64{1}}).Empty() || (model.Audience{Users: []int64{1}}).Empty() {
		t.Error("Audience.Empty")
	}
}
