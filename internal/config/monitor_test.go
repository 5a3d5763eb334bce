package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/config"
)

func TestMonitorFlags(t *testing.T) {
	cfg, _ := serveFlags(t, "--monitor", "--monitor-resolver", "127.0.0.1:53", "--monitor-ports", "3389, 445,23",
		"--monitor-concurrency", "8", "--monitor-host-rate", "0.5", "--monitor-dns-rate", "0")
	if !cfg.Monitor || cfg.MonitorResolver != "127.0.0.1:53" || !slices.Equal(cfg.MonitorPorts, []int{3389, 445, 23}) ||
		cfg.MonitorConcurrency != 8 || cfg.MonitorHostRate != 0.5 || cfg.MonitorDNSRate != 0 {
		t.Fatalf("%+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"0", "65536", "rdp", "22,-1"} {
		if _, err := config.ParsePorts(bad); err == nil {
			t.Errorf("ports %q accepted", bad)
		}
	}
	for name, change := range map[string]func(c *config.Config){
		"resolver without port": func(c *config.Config) { c.MonitorResolver = "127.0.0.1" },
		"no concurrency":        func(c *config.Config) { c.MonitorConcurrency = 0 },
		"no host rate":          func(c *config.Config) { c.MonitorHostRate = 0 },
	} {
		c := config.Defaults()
		change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "RENKEI_MONITOR_") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
