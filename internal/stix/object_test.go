package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Valid objects, mostly the STIX 2.1 specification's own examples.
var validObjects = map[string]string{
	"indicator": `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z",
		"modified":"2016-04-06T20:03:48.000Z","indicator_types":["malicious-activity"],"name":"Poison Ivy Malware",
		"description":"This file is part of Poison Ivy","pattern":"[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
		"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2017-01-01T00:00:00Z",
		"confidence":85,"lang":"en","labels":["ioc"],
		"external_references":[{"source_name":"capec","external_id":"CAPEC-163"}],
		"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
		"granular_markings":[{"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","selectors":["description"]}],
		"x_renkei_note":"custom properties are fine"}`,
	"identity": `{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
		"created":"2015-12-21T19:59:11Z","modified":"2015-12-21T19:59:11Z","name":"Cole Powers","identity_class":"individual"}`,
	"relationship": `{"type":"relationship","spec_version":"2.1","id":"relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e",
		"created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates",
		"source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
		"start_time":"2016-04-06T20:06:37Z","stop_time":"2016-04-07T20:06:37Z"}`,
	"sighting": `{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8263ae8ebf",
		"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:08:31.000Z",
		"modified":"2016-04-06T20:08:31.000Z","first_seen":"2015-12-21T19:00:00Z","last_seen":"2015-12-21T19:00:00Z",
		"count":50,"sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"observed_data_refs":["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"],
		"where_sighted_refs":["identity--b67d30ff-02ac-498a-92f9-32f845f448ff"]}`,
	"malware": `{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
		"created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"Cryptolocker",
		"malware_types":["ransomware"],"is_family":false,"first_seen":"2016-01-01T00:00:00Z",
		"sample_refs":["file--6ce09d9c-0ad3-5ebf-900c-e3cb288955b5"]}`,
	"observed-data": `{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
		"created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z",
		"last_observed":"2015-12-21T19:00:00Z","number_observed":50,
		"object_refs":["ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8","relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e"]}`,
	"location": `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64",
		"created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","latitude":48.8566,"longitude":2.3522,"precision":1000}`,
	"report": `{"type":"report","spec_version":"2.1","id":"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3",
		"created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"The Black Vine Cyberespionage Group",
		"report_types":["campaign"],"published":"2016-01-20T17:00:00.000Z",
		"object_refs":["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2","campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c"]}`,
	"opinion": `{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7",
		"created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","opinion":"strongly-disagree",
		"object_refs":["relationship--16d2358f-3b0d-4c88-b047-0da2f7ed4471"]}`,
	"marking-tlp1": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
		"created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:AMBER","definition":{"tlp":"amber"}}`,
	"marking-statement": `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41db",
		"created":"2016-08-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2019, Example Corp"}}`,
	"language-content": `{"type":"language-content","spec_version":"2.1","id":"language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d",
		"created":"2017-02-08T21:31:22.007Z","modified":"2017-02-08T21:31:22.007Z",
		"object_ref":"campaign--12a111f0-b824-4baf-a224-83b80237a094","object_modified":"2017-02-08T21:31:22.007Z",
		"contents":{"ja":{"name":"攻撃キャンペーン"}}}`,
	"extension-definition": `{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e",
		"created":"2014-02-20T09:16:08.989Z","modified":"2014-02-20T09:16:08.989Z","created_by_ref":"identity--11b76a96-5d2b-45e0-8a5a-f6994f370731",
		"name":"New SDO 1","schema":"https://www.example.com/schema-newsdo-1/v1/","version":"1.2.1","extension_types":["new-sdo"]}`,
	"ipv4-addr": `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3",
		"resolves_to_refs":["mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00"]}`,
	"file": `{"type":"file","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","hashes":{"SHA-256":"ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a"},
		"parent_directory_ref":"directory--93c0a9b0-520d-545d-9094-1a08ddf46b05","name":"qwerty.dll",
		"extensions":{"ntfs-ext":{"alternate_data_streams":[{"name":"second.stream","size":25536}]}}}`,
	"network-traffic": `{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--f8ae967a-3dc3-5cdf-8f94-8505abff00c2",
		"src_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","protocols":["tcp","http"],
		"extensions":{"http-request-ext":{"request_method":"get","request_value":"/download.html","message_body_data_ref":"artifact--cb37bcf8-9846-5ab4-8662-75c1bf6e63ee"}}}`,
	"new-sco": `{"type":"my-favorite-sco","id":"my-favorite-sco--f8ae967a-3dc3-5cdf-8f94-8505abff00c2","some_value":1,
		"extensions":{"extension-definition--150c1738-28c9-44d0-802d-70523218240b":{"extension_type":"new-sco"}}}`,
	"custom-sdo": `{"type":"x-example-com-customobject","spec_version":"2.1","id":"x-example-com-customobject--4527e5de-8572-446a-a57a-706f15467461",
		"created":"2016-08-01T00:00:00.000Z","modified":"2016-08-01T00:00:00.000Z","some_custom_property":"some value",
		"some_custom_ref":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}`,
	"tlp2-green": string(TLPMarkingDefinition("green")),
}

func TestDecodeValid(t *testing.T) {
	for name, raw := range validObjects {
		o, err := Decode([]byte(raw))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(o.Raw, []byte(raw)) {
			t.Errorf("%s: Raw is not the bytes as received", name)
		}
	}
}

func TestDecodeExtractsProperties(t *testing.T) {
	o, err := Decode([]byte(validObjects["indicator"]))
	if err != nil {
		t.Fatal(err)
	}
	want := func(got, exp any, what string) {
		t.Helper()
		gb, _ := json.Marshal(got)
		eb, _ := json.Marshal(exp)
		if !bytes.Equal(gb, eb) {
			t.Errorf("%s = %s, want %s", what, gb, eb)
		}
	}
	want(o.Type, "indicator", "Type")
	want(o.ID, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "ID")
	want(o.SpecVersion, "2.1", "SpecVersion")
	want(o.Created, time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC), "Created")
	want(o.CreatedByRef, "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", "CreatedByRef")
	want(*o.Confidence, 85, "Confidence")
	want(o.Lang, "en", "Lang")
	want(o.Labels, []string{"ioc"}, "Labels")
	want(o.ExternalReferences, []ExternalReference{{SourceName: "capec", ExternalID: "CAPEC-163"}}, "ExternalReferences")
	want(o.ObjectMarkingRefs, []string{TLP1Green}, "ObjectMarkingRefs")
	want(o.GranularMarkings, []GranularMarking{{MarkingRef: TLP1Amber, Selectors: []string{"description"}}}, "GranularMarkings")
	want(o.Name, "Poison Ivy Malware", "Name")
	want(o.PatternType, "stix", "PatternType")
	want(o.ValidFrom, time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), "ValidFrom")
	want(o.ValidUntil, time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), "ValidUntil")
	want(o.IndicatorTypes, []string{"malicious-activity"}, "IndicatorTypes")
	want(o.Category(), SDO, "Category")
	if !o.Has("x_renkei_note") || o.Has("revoked") {
		t.Error("Has")
	}
	n, _ := Decode([]byte(validObjects["new-sco"]))
	if n.Category() != SCO {
		t.Errorf("a new-sco extension makes a custom type an SCO, got %v", n.Category())
	}
}

// mutate returns the valid object named base with properties set (nil deletes).
func mutate(t *testing.T, base string, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validObjects[base]), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeInvalid(t *testing.T) {
	ind := "indicator"
	cases := []struct {
		base string
		set  map[string]any
		prop string
		code Code
	}{
		// type and id
		{ind, map[string]any{"type": nil}, "type", CodeMissing},
		{ind, map[string]any{"type": "In"}, "type", CodeTypeName},
		{ind, map[string]any{"type": "a--b"}, "type", CodeTypeName},
		{ind, map[string]any{"type": "bundle"}, "type", CodeValue},
		{ind, map[string]any{"type": 5}, "type", CodeWrongType},
		{ind, map[string]any{"id": nil}, "id", CodeMissing},
		{ind, map[string]any{"id": "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "id", CodeID},
		{ind, map[string]any{"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "id", CodeIDType},
		{ind, map[string]any{"id": "indicator--8E2E2D2B-17d4-4cbf-938f-98ee46b3cd3f"}, "id", CodeUUID},
		{ind, map[string]any{"id": "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"}, "id", CodeUUID},
		{ind, map[string]any{"id": "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"}, "id", CodeUUID},
		{ind, map[string]any{"id": "indicator--00000000-0000-0000-0000-000000000000"}, "id", CodeUUID},
		// common properties
		{ind, map[string]any{"spec_version": nil}, "spec_version", CodeMissing},
		{ind, map[string]any{"spec_version": "2.0"}, "spec_version", CodeSpecVersion},
		{ind, map[string]any{"created": nil}, "created", CodeMissing},
		{ind, map[string]any{"modified": nil}, "modified", CodeMissing},
		{ind, map[string]any{"created": "2016-04-06T20:03:48+09:00"}, "created", CodeTimestamp},
		{ind, map[string]any{"created": "2016-04-06T20:03Z"}, "created", CodeTimestamp},
		{ind, map[string]any{"created": "2016-04-06 20:03:48Z"}, "created", CodeTimestamp},
		{ind, map[string]any{"created": "2016-02-30T20:03:48Z"}, "created", CodeTimestamp},
		{ind, map[string]any{"created": "2016-04-06T20:03:48.Z"}, "created", CodeTimestamp},
		{ind, map[string]any{"created": 1459973028}, "created", CodeWrongType},
		{ind, map[string]any{"modified": "2016-04-06T20:03:47.999Z"}, "modified", CodeTimeOrder},
		{ind, map[string]any{"created_by_ref": "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, "created_by_ref", CodeReferenceType},
		{ind, map[string]any{"created_by_ref": "Example Corp"}, "created_by_ref", CodeReference},
		{ind, map[string]any{"created_by_ref": 5}, "created_by_ref", CodeWrongType},
		{ind, map[string]any{"object_marking_refs": []string{"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}}, "object_marking_refs[0]", CodeReferenceType},
		{ind, map[string]any{"object_marking_refs": []string{}}, "object_marking_refs", CodeEmptyList},
		{ind, map[string]any{"object_marking_refs": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, "object_marking_refs", CodeWrongType},
		{ind, map[string]any{"labels": []string{}}, "labels", CodeEmptyList},
		{ind, map[string]any{"confidence": 101}, "confidence", CodeRange},
		{ind, map[string]any{"confidence": -1}, "confidence", CodeRange},
		{ind, map[string]any{"confidence": 50.5}, "confidence", CodeWrongType},
		{ind, map[string]any{"revoked": "yes"}, "revoked", CodeWrongType},
		{ind, map[string]any{"lang": "not a language"}, "lang", CodeValue},
		{ind, map[string]any{"external_references": []any{map[string]any{"url": "https://example.com"}}}, "external_references[0].source_name", CodeMissing},
		{ind, map[string]any{"external_references": []any{map[string]any{"source_name": "x"}}}, "external_references[0]", CodeMissing},
		{ind, map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP1Red}}}, "granular_markings[0].selectors", CodeMissing},
		{ind, map[string]any{"granular_markings": []any{map[string]any{"selectors": []string{"name"}}}}, "granular_markings[0]", CodeMissing},
		{ind, map[string]any{"granular_markings": []any{map[string]any{"selectors": []string{"name"}, "lang": "en", "marking_ref": TLP1Red}}}, "granular_markings[0]", CodeNotAllowed},
		{ind, map[string]any{"granular_markings": []any{map[string]any{"selectors": []string{"name"}, "marking_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}}}, "granular_markings[0].marking_ref", CodeReferenceType},
		{ind, map[string]any{"Bad-Name": 1}, "Bad-Name", CodePropertyName},
		{ind, map[string]any{"xy": 1}, "xy", CodePropertyName},
		{ind, map[string]any{"x_custom_ref": "nonsense"}, "x_custom_ref", CodeReference},
		{ind, map[string]any{"x_custom": map[string]any{"deep": []any{map[string]any{"thing_refs": []any{"bad"}}}}}, "x_custom.deep[0].thing_refs[0]", CodeReference},
		// extensions
		{ind, map[string]any{"extensions": map[string]any{}}, "extensions", CodeEmptyList},
		{ind, map[string]any{"extensions": map[string]any{"extension-definition--nope": map[string]any{}}}, "extensions.extension-definition--nope", CodeExtension},
		{ind, map[string]any{"extensions": map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"extension_type": "new-thing"}}}, "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type", CodeExtension},
		{ind, map[string]any{"extensions": map[string]any{"ntfs-ext": map[string]any{}}}, "extensions.ntfs-ext", CodeExtension},
		{ind, map[string]any{"extensions": map[string]any{"Bad Ext": map[string]any{}}}, "extensions.Bad Ext", CodeExtension},
		{ind, map[string]any{"extensions": map[string]any{"x-custom-ext": "not an object"}}, "extensions.x-custom-ext", CodeExtension},
		// indicator
		{ind, map[string]any{"pattern": nil}, "pattern", CodeMissing},
		{ind, map[string]any{"pattern_type": nil}, "pattern_type", CodeMissing},
		{ind, map[string]any{"valid_from": nil}, "valid_from", CodeMissing},
		{ind, map[string]any{"valid_until": "2016-01-01T00:00:00Z"}, "valid_until", CodeTimeOrder},
		{ind, map[string]any{"pattern": "[file:hashes.MD5 = 'x'"}, "pattern", CodePattern},
		{ind, map[string]any{"pattern": nil, "x": 1}, "pattern", CodeMissing},
		// other types
		{"relationship", map[string]any{"relationship_type": "Indicates"}, "relationship_type", CodeValue},
		{"relationship", map[string]any{"source_ref": nil}, "source_ref", CodeMissing},
		{"relationship", map[string]any{"target_ref": "sighting--ee20065d-2555-424f-ad9e-0f8263ae8ebf"}, "target_ref", CodeReferenceType},
		{"relationship", map[string]any{"stop_time": "2016-04-06T20:06:37Z"}, "stop_time", CodeTimeOrder},
		{"sighting", map[string]any{"sighting_of_ref": nil}, "sighting_of_ref", CodeMissing},
		{"sighting", map[string]any{"sighting_of_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"}, "sighting_of_ref", CodeReferenceType},
		{"sighting", map[string]any{"where_sighted_refs": []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}}, "where_sighted_refs[0]", CodeReferenceType},
		{"sighting", map[string]any{"observed_data_refs": []string{"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3"}}, "observed_data_refs[0]", CodeReferenceType},
		{"sighting", map[string]any{"count": 1000000000}, "count", CodeRange},
		{"sighting", map[string]any{"last_seen": "2015-12-21T18:00:00Z"}, "last_seen", CodeTimeOrder},
		{"sighting", map[string]any{"first_seen": "yesterday"}, "first_seen", CodeTimestamp},
		{"malware", map[string]any{"is_family": nil}, "is_family", CodeMissing},
		{"malware", map[string]any{"is_family": true, "name": nil}, "name", CodeMissing},
		{"malware", map[string]any{"is_family": "no"}, "is_family", CodeWrongType},
		{"malware", map[string]any{"sample_refs": []string{"url--ff26c055-6336-5bc5-b98d-13d6226742dd"}}, "sample_refs[0]", CodeReferenceType},
		{"malware", map[string]any{"last_seen": "2015-01-01T00:00:00Z"}, "last_seen", CodeTimeOrder},
		{"observed-data", map[string]any{"number_observed": 0}, "number_observed", CodeRange},
		{"observed-data", map[string]any{"object_refs": nil}, "object_refs", CodeMissing},
		{"observed-data", map[string]any{"objects": map[string]any{"0": map[string]any{"type": "file"}}}, "objects", CodeNotAllowed},
		{"observed-data", map[string]any{"object_refs": []string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}}, "object_refs[0]", CodeReferenceType},
		{"observed-data", map[string]any{"last_observed": "2015-12-21T18:00:00Z"}, "last_observed", CodeTimeOrder},
		{"location", map[string]any{"latitude": 91}, "latitude", CodeRange},
		{"location", map[string]any{"longitude": nil}, "longitude", CodeMissing},
		{"location", map[string]any{"latitude": nil, "longitude": nil, "precision": nil}, "region", CodeMissing},
		{"opinion", map[string]any{"opinion": "meh"}, "opinion", CodeValue},
		{"report", map[string]any{"published": nil}, "published", CodeMissing},
		{"identity", map[string]any{"name": nil}, "name", CodeMissing},
		{"language-content", map[string]any{"contents": map[string]any{}}, "contents", CodeEmptyList},
		{"language-content", map[string]any{"lang": "en"}, "lang", CodeNotAllowed},
		{"extension-definition", map[string]any{"created_by_ref": nil}, "created_by_ref", CodeMissing},
		{"extension-definition", map[string]any{"extension_types": []string{"new-thing"}}, "extension_types[0]", CodeValue},
		{"custom-sdo", map[string]any{"some_custom_ref": "nope"}, "some_custom_ref", CodeReference},
		{"custom-sdo", map[string]any{"modified": nil}, "modified", CodeMissing},
		// observables
		{"ipv4-addr", map[string]any{"value": nil}, "value", CodeMissing},
		{"ipv4-addr", map[string]any{"created": "2016-01-01T00:00:00Z"}, "created", CodeNotAllowed},
		{"ipv4-addr", map[string]any{"spec_version": "2.0"}, "spec_version", CodeSpecVersion},
		{"ipv4-addr", map[string]any{"resolves_to_refs": []string{"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"}}, "resolves_to_refs[0]", CodeReferenceType},
		{"file", map[string]any{"hashes": nil, "name": nil}, "name", CodeMissing},
		{"file", map[string]any{"parent_directory_ref": "file--e277603e-1060-5ad4-9937-c26c97f1ca68"}, "parent_directory_ref", CodeReferenceType},
		{"file", map[string]any{"extensions": map[string]any{"tcp-ext": map[string]any{}}}, "extensions.tcp-ext", CodeExtension},
		{"network-traffic", map[string]any{"src_ref": nil}, "src_ref", CodeMissing},
		{"network-traffic", map[string]any{"protocols": nil}, "protocols", CodeMissing},
		{"network-traffic", map[string]any{"extensions": map[string]any{"http-request-ext": map[string]any{"message_body_data_ref": "file--e277603e-1060-5ad4-9937-c26c97f1ca68"}}}, "extensions.http-request-ext.message_body_data_ref", CodeReferenceType},
		// markings
		{"marking-tlp1", map[string]any{"id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b83"}, "id", CodeMarking},
		{"marking-tlp1", map[string]any{"definition": map[string]any{"tlp": "purple"}}, "definition.tlp", CodeValue},
		{"marking-tlp1", map[string]any{"definition_type": "statement", "definition": map[string]any{"statement": "x"}}, "definition_type", CodeMarking},
		{"marking-tlp1", map[string]any{"definition_type": nil}, "definition_type", CodeMissing},
		{"marking-tlp1", map[string]any{"modified": "2017-01-20T00:00:00.000Z"}, "modified", CodeNotAllowed},
		{"marking-statement", map[string]any{"definition": map[string]any{}}, "definition.statement", CodeMissing},
		{"tlp2-green", map[string]any{"id": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bc"}, "id", CodeMarking},
		{"tlp2-green", map[string]any{"extensions": map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": "red"}}}, "id", CodeMarking},
		{"tlp2-green", map[string]any{"extensions": map[string]any{TLP2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": "white"}}}, "extensions." + TLP2Extension + ".tlp_2_0", CodeValue},
		{"tlp2-green", map[string]any{"extensions": nil}, "extensions", CodeMarking},
	}
	for _, tc := range cases {
		raw := mutate(t, tc.base, tc.set)
		_, err := Decode(raw)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s %v: got %v, want %s on %s", tc.base, tc.set, err, tc.code, tc.prop)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			if p.Property == tc.prop && p.Code == tc.code {
				found = true
				if !strings.HasPrefix(p.Message, tc.prop) {
					t.Errorf("message %q does not name the property %q", p.Message, tc.prop)
				}
			}
		}
		if !found {
			t.Errorf("%s %v: got %v, want %s on %s", tc.base, tc.set, ve.Problems, tc.code, tc.prop)
		}
	}
}

func TestDecodeNotAnObject(t *testing.T) {
	for _, raw := range []string{``, `[]`, `"x"`, `{"type":`, `{"a":1} {"b":2}`, `null`} {
		o, err := Decode([]byte(raw))
		var ve *ValidationError
		if o != nil || !errors.As(err, &ve) || !ve.Has(CodeNotObject) {
			t.Errorf("Decode(%q) = %v, %v; want not_json_object", raw, o, err)
		}
	}
	_, err := Decode([]byte(`{"type":"identity","type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11Z","modified":"2015-12-21T19:59:11Z","name":"x"}`))
	var ve *ValidationError
	if !errors.As(err, &ve) || !ve.Has(CodeDuplicateProperty) {
		t.Errorf("a duplicate key must be rejected, got %v", err)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	_, err := Decode(mutate(t, "indicator", map[string]any{"confidence": 200, "valid_from": nil}))
	want := "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: confidence: 200 is outside 0 to 100; valid_from: is required on indicator objects"
	if err == nil || err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
}

func TestParseDoesNotValidate(t *testing.T) {
	o, err := Parse(mutate(t, "indicator", map[string]any{"confidence": 200}))
	if err != nil || *o.Confidence != 200 {
		t.Errorf("Parse = %v, %v", o, err)
	}
}

func TestTimestamps(t *testing.T) {
	good := map[string]time.Time{
		"2016-01-01T00:00:00Z":              time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC),
		"2016-01-01T00:00:00.1Z":            time.Date(2016, 1, 1, 0, 0, 0, 100e6, time.UTC),
		"2016-01-01T00:00:00.123456789123Z": time.Date(2016, 1, 1, 0, 0, 0, 123456789, time.UTC),
		"2016-02-29T23:59:59.000Z":          time.Date(2016, 2, 29, 23, 59, 59, 0, time.UTC),
	}
	for s, want := range good {
		got, ok := ParseTimestamp(s)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "2016-01-01", "2016-01-01T00:00Z", "2016-01-01T00:00:00", "2016-01-01T00:00:00+00:00",
		"2016-01-01t00:00:00Z", "2016-01-01T00:00:00.Z", "2016-01-01T00:00:00.1a1Z", "2015-02-29T00:00:00Z", "16-01-01T00:00:00Z", "2016-01-01T00:00:00z"} {
		if _, ok := ParseTimestamp(s); ok {
			t.Errorf("ParseTimestamp(%q) accepted", s)
		}
	}
	if got := FormatTimestamp(time.Date(2016, 5, 12, 17, 17, 27, 5e6, time.FixedZone("JST", 9*3600))); got != "2016-05-12T08:17:27.005Z" {
		t.Errorf("FormatTimestamp = %s", got)
	}
}

func TestIDs(t *testing.T) {
	for _, s := range []string{"ab", "-abc", "abc-", "a--bc", "ABC", "a_bc", strings.Repeat("a", 251)} {
		if IsTypeName(s) {
			t.Errorf("IsTypeName(%q)", s)
		}
	}
	for _, s := range []string{"abc", "x-foo-bar", "ipv4-addr", strings.Repeat("a", 250)} {
		if !IsTypeName(s) {
			t.Errorf("!IsTypeName(%q)", s)
		}
	}
	if typ, uuid, ok := SplitID("x-foo--6ba7b810-9dad-11d1-80b4-00c04fd430c8"); !ok || typ != "x-foo" || uuid != "6ba7b810-9dad-11d1-80b4-00c04fd430c8" {
		t.Errorf("SplitID = %q %q %v", typ, uuid, ok)
	}
	id := NewID("indicator")
	if typ, uuid, ok := SplitID(id); !ok || typ != "indicator" || UUIDVersion(uuid) != 4 {
		t.Errorf("NewID = %s", id)
	}
	if NewID("indicator") == id {
		t.Error("NewID repeats")
	}
	// The value of the well-known 8.8.8.8 observable, as other STIX tools compute it.
	if got := UUIDv5(Namespace, `{"value":"8.8.8.8"}`); got != "2f689bf9-0ff2-545f-aa61-e495eb8cecc7" {
		t.Errorf("UUIDv5 = %s", got)
	}
}
