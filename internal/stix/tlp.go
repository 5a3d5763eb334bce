package stix

import (
	"encoding/json"
	"slices"

	"github.com/renkei-dev/renkei/internal/model"
)

// TLP2Extension is the id of the FIRST TLP 2.0 extension-definition that the OASIS TLP 2.0
// marking definitions use.
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The official STIX ids of the TLP 2.0 marking definitions (OASIS cti-stix-common-objects,
// extension-definition-specifications/tlp-2.0).
const (
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// The TLP 1.0 marking definitions that STIX 2.1 section 7.2.1.4 predefines.
const (
	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

var tlp2ByLevel = map[model.TLP]string{model.TLPClear: TLP2Clear, model.TLPGreen: TLP2Green,
	model.TLPAmber: TLP2Amber, model.TLPAmberStrict: TLP2AmberStrict, model.TLPRed: TLP2Red}

// tlp1ByColor maps the TLP 1.0 definition value to its official id.
var tlp1ByColor = map[string]string{"white": TLP1White, "green": TLP1Green, "amber": TLP1Amber, "red": TLP1Red}

// tlpByMarking recognises both generations; TLP 1.0 WHITE reads as CLEAR.
var tlpByMarking = map[string]model.TLP{
	TLP2Clear: model.TLPClear, TLP2Green: model.TLPGreen, TLP2Amber: model.TLPAmber,
	TLP2AmberStrict: model.TLPAmberStrict, TLP2Red: model.TLPRed,
	TLP1White: model.TLPClear, TLP1Green: model.TLPGreen, TLP1Amber: model.TLPAmber, TLP1Red: model.TLPRed,
}

// MarkingID returns the TLP 2.0 marking-definition id of a TLP level, or "" for an unknown
// level.
func MarkingID(t model.TLP) string { return tlp2ByLevel[t] }

// MarkingTLP returns the TLP level of a TLP 2.0 or TLP 1.0 marking-definition id.
func MarkingTLP(id string) (model.TLP, bool) {
	t, ok := tlpByMarking[id]
	return t, ok
}

// TLPOf returns the most restrictive TLP among the marking references (RED above
// AMBER+STRICT above AMBER above GREEN above CLEAR), or def when none is a TLP marking.
func TLPOf(markingRefs []string, def model.TLP) model.TLP {
	best := -1
	for _, ref := range markingRefs {
		if t, ok := tlpByMarking[ref]; ok {
			best = max(best, slices.Index(model.TLPs, t))
		}
	}
	if best < 0 {
		return def
	}
	return model.TLPs[best]
}

// TLP returns the object's TLP from its object_marking_refs, or def when it has none.
func (o *Object) TLP(def model.TLP) model.TLP { return TLPOf(o.ObjectMarkingRefs, def) }

// TLPMarkingDefinition returns the official TLP 2.0 marking-definition object of a level,
// as published by OASIS, or nil for an unknown level.
func TLPMarkingDefinition(t model.TLP) []byte {
	id := tlp2ByLevel[t]
	if id == "" {
		return nil
	}
	obj := map[string]any{
		"type":         "marking-definition",
		"spec_version": "2.1",
		"id":           id,
		"created":      "2022-10-01T00:00:00.000Z",
		"name":         t.Label(),
		"extensions": map[string]any{
			TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": string(t)},
		},
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return b
}

// checkMarkingDefinition applies the marking-definition rules: a definition unless an
// extension carries it, and TLP markings only under their official ids.
func checkMarkingDefinition(o *Object, ps *problems) {
	if !o.Has("extensions") {
		requireProp(o, "definition_type", ps)
		requireProp(o, "definition", ps)
	}
	var defType string
	decodeProp(o, "definition_type", &defType, "a string", ps)
	var def map[string]json.RawMessage
	decodeProp(o, "definition", &def, "an object", ps)
	switch defType {
	case "tlp":
		checkTLP1(o, def, ps)
	case "statement":
		var s string
		if v, ok := def["statement"]; !ok || json.Unmarshal(v, &s) != nil || s == "" {
			ps.add("definition.statement", CodeMissing, "a statement marking needs a statement string")
		}
	}
	if level, ok := tlpByMarking[o.ID]; ok && slices.Contains(tlp1IDs(), o.ID) && defType != "tlp" {
		ps.add("definition_type", CodeMarking, "%s is the %s marking and must have definition_type \"tlp\"", o.ID, level.Label())
	}
	checkTLP2(o, ps)
}

func tlp1IDs() []string { return []string{TLP1White, TLP1Green, TLP1Amber, TLP1Red} }

func checkTLP1(o *Object, def map[string]json.RawMessage, ps *problems) {
	var color string
	if v, ok := def["tlp"]; !ok || json.Unmarshal(v, &color) != nil {
		ps.add("definition.tlp", CodeMissing, "a TLP marking needs definition.tlp")
		return
	}
	want, ok := tlp1ByColor[color]
	switch {
	case !ok:
		ps.add("definition.tlp", CodeValue, "%q is not a TLP 1.0 color (white, green, amber, red)", color)
	case o.ID != want:
		ps.add("id", CodeMarking, "TLP:%s must use its official id %s; no other TLP marking definitions may be created", color, want)
	}
}

func checkTLP2(o *Object, ps *problems) {
	raw, hasExt := o.Extensions[TLP2Extension]
	official, isOfficial := tlpByMarking[o.ID]
	isOfficial = isOfficial && o.ID == tlp2ByLevel[official]
	if !hasExt {
		if isOfficial {
			ps.add("extensions", CodeMarking, "%s is the %s 2.0 marking and must carry the TLP 2.0 extension %s", o.ID, official.Label(), TLP2Extension)
		}
		return
	}
	var ext struct {
		Level string `json:"tlp_2_0"`
	}
	prop := "extensions." + TLP2Extension + ".tlp_2_0"
	if json.Unmarshal(raw, &ext) != nil || ext.Level == "" {
		ps.add(prop, CodeMissing, "the TLP 2.0 extension needs tlp_2_0")
		return
	}
	want := tlp2ByLevel[model.TLP(ext.Level)]
	switch {
	case want == "":
		ps.add(prop, CodeValue, "%q is not a TLP 2.0 level (clear, green, amber, amber+strict, red)", ext.Level)
	case o.ID != want:
		ps.add("id", CodeMarking, "TLP:%s must use its official id %s", ext.Level, want)
	}
}
