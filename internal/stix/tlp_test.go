package stix

import (
	"encoding/json"
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
)

func TestMarkingIDs(t *testing.T) {
	want := map[model.TLP]string{
		model.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		model.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		model.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		model.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		model.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	for _, level := range model.TLPs {
		id := MarkingID(level)
		if id != want[level] {
			t.Errorf("MarkingID(%s) = %s", level, id)
		}
		if back, ok := MarkingTLP(id); !ok || back != level {
			t.Errorf("MarkingTLP(%s) = %s %v", id, back, ok)
		}
	}
	tlp1 := map[string]model.TLP{
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": model.TLPClear, // WHITE
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": model.TLPGreen,
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": model.TLPAmber,
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": model.TLPRed,
	}
	for id, level := range tlp1 {
		if got, ok := MarkingTLP(id); !ok || got != level {
			t.Errorf("TLP 1.0 %s = %s %v, want %s", id, got, ok, level)
		}
	}
	if _, ok := MarkingTLP("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"); ok {
		t.Error("an unknown marking is not a TLP")
	}
	if MarkingID("purple") != "" || TLPMarkingDefinition("purple") != nil {
		t.Error("an unknown level has no marking")
	}
}

func TestTLPOf(t *testing.T) {
	statement := "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db"
	cases := []struct {
		refs []string
		def  model.TLP
		want model.TLP
	}{
		{nil, model.TLPAmber, model.TLPAmber},
		{[]string{statement}, model.TLPGreen, model.TLPGreen},
		{[]string{TLP2Clear}, model.TLPAmber, model.TLPClear},
		{[]string{TLP2Green, TLP2Red, TLP2Amber}, model.TLPClear, model.TLPRed},
		{[]string{TLP2Amber, TLP2AmberStrict}, model.TLPClear, model.TLPAmberStrict},
		{[]string{TLP1White, statement}, model.TLPRed, model.TLPClear},
		{[]string{TLP1Green, TLP2Amber}, model.TLPClear, model.TLPAmber},
		{[]string{TLP1Red, TLP2AmberStrict}, model.TLPClear, model.TLPRed},
	}
	for _, tc := range cases {
		if got := TLPOf(tc.refs, tc.def); got != tc.want {
			t.Errorf("TLPOf(%v, %s) = %s, want %s", tc.refs, tc.def, got, tc.want)
		}
	}
	o, err := Decode([]byte(validObjects["indicator"]))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.TLP(model.TLPRed); got != model.TLPGreen {
		t.Errorf("object TLP = %s", got)
	}
}

// TestTLPMarkingDefinitions checks the objects against the published TLP 2.0 markings.
func TestTLPMarkingDefinitions(t *testing.T) {
	for _, level := range model.TLPs {
		raw := TLPMarkingDefinition(level)
		o, err := Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", level, err)
		}
		var m struct {
			Name       string `json:"name"`
			Created    string `json:"created"`
			Extensions map[string]struct {
				ExtensionType string `json:"extension_type"`
				TLP           string `json:"tlp_2_0"`
			} `json:"extensions"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		ext := m.Extensions[TLP2Extension]
		if o.ID != MarkingID(level) || m.Name != level.Label() || m.Created != "2022-10-01T00:00:00.000Z" ||
			ext.ExtensionType != "property-extension" || ext.TLP != string(level) || o.Category() != MarkingDefinition {
			t.Errorf("%s: %s", level, raw)
		}
	}
}
