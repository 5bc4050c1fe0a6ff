//go:build e2e

// Package smoke checks the built binary the way a newcomer meets it: every shipped config
// validates, the collector starts with no Redis and no tracing backend, serves Prometheus metrics
// and health, and stops cleanly on SIGTERM.
package smoke

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

func TestValidateShippedConfigs(t *testing.T) {
	root := collectortest.RepoRoot(t)
	overlays, err := filepath.Glob(filepath.Join(root, "config", "*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(overlays), 3, "config/ must hold the development, staging and production overlays")

	configs := [][]string{{"otelcol-config.yaml"}}
	for _, o := range overlays {
		configs = append(configs, []string{"otelcol-config.yaml", filepath.Join("config", filepath.Base(o))})
	}
	for _, cfgs := range configs {
		t.Run(strings.Join(cfgs, "+"), func(t *testing.T) {
			args := []string{"validate"}
			for _, c := range cfgs {
				args = append(args, "--config", c)
			}
			p := collectortest.Start(t, args)
			code, err := p.Wait(30 * time.Second)
			require.NoError(t, err)
			assert.Equal(t, 0, code, "validate failed:\n%s", p.Logs())
		})
	}
}

func TestComponentsListed(t *testing.T) {
	p := collectortest.Start(t, []string{"components"})
	require.True(t, collectortest.Eventually(30*time.Second, 100*time.Millisecond, p.Exited))
	out := p.Logs()
	for _, name := range []string{
		"multiagents", "worker_health", "alert", "slack", "pagerduty", "email", "alertmanager", "silences",
		"otlp", "host_metrics", "batch", "memory_limiter", "otlp_grpc", "otlp_http",
		"prometheus", "debug", "file", "nop", "span_metrics",
		"health_check", "zpages", "pprof", "file_storage", "bearertokenauth",
	} {
		assert.Contains(t, out, "- name: "+name+"\n", "component %s missing from `components`", name)
	}
}

func TestStartsWithoutRedisServesMetricsAndHealthAndStopsCleanly(t *testing.T) {
	ports := collectortest.NewPorts(t)
	args := append([]string{"--config", "otelcol-config.yaml"}, ports.SetFlags()...)
	env := append(ports.Env(),
		// Nothing listens here: the receiver must keep retrying in the background.
		"REDIS_ENDPOINT="+collectortest.FreeAddr(t),
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	p := collectortest.Start(t, args, env...)

	status, body, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 30*time.Second)
	require.NoError(t, err, "health endpoint never answered; collector logs:\n%s", p.Logs())
	assert.Equal(t, 200, status)
	assert.Contains(t, body, "Server available")

	// host_metrics scrapes within seconds of start; its series prove metrics reach Prometheus.
	var metrics string
	ok := collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		code, b, err := collectortest.Get(collectortest.URL(ports.Prometheus, "/metrics"), time.Second)
		metrics = b
		return err == nil && code == 200 && strings.Contains(b, "system_memory_utilization")
	})
	require.True(t, ok, "no host metrics on /metrics within 30s; last body:\n%s", metrics)

	require.False(t, p.Exited(), "collector exited early:\n%s", p.Logs())
	// No tracing backend is configured, so no exporter may be dialling one.
	assert.NotContains(t, p.Logs(), "createTransport failed", "an exporter is dialling a backend that is not there")
	// Redis is down the whole time: one warning for that state, not one per retry.
	assert.Equal(t, 1, strings.Count(p.Logs(), "Cannot reach Redis"), "the missing Redis must be logged once per state change")
	// With no destination configured each notifier says once that it is off, and nothing fails.
	for _, off := range []string{"slack: webhook_url is empty", "pagerduty: routing_key is empty", "email: to is empty", "alertmanager: endpoints is empty"} {
		assert.Equal(t, 1, strings.Count(p.Logs(), off), "expected exactly one %q warning", off)
	}
	code, err := p.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code, "exit code after SIGTERM")
}
