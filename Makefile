# The two everyday commands; see README.md.
.PHONY: run test build check screenshots

run:
	go run ./cmd/renkei serve --demo

test:
	scripts/test.sh

build:
	go build -o bin/renkei ./cmd/renkei

check:
	.ci/run

screenshots:
	RENKEI_SCREENSHOTS=$(CURDIR)/docs/screenshots GOTESTFLAGS='-run TestBrowserDemoTour|TestBrowserSelectedTopicReachesOnlyItsRecipients' scripts/test.sh
