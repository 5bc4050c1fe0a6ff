package emailexporter

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/smtptest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

func benchAlerts(n int) []notify.Alert {
	as := make([]notify.Alert, n)
	for i := range as {
		as[i] = testNotification(fmt.Sprintf("worker_failure_%d", i%3), notify.StateFiring, notify.SeverityCritical)
		as[i].Fingerprint = fmt.Sprintf("fp-%d", i)
	}
	return as
}

func BenchmarkCompose(b *testing.B) {
	for _, n := range []int{1, 10, maxListedAlerts} {
		b.Run(fmt.Sprintf("alerts=%d", n), func(b *testing.B) {
			c, err := newComposer(&Config{})
			require.NoError(b, err)
			g := group(benchAlerts(n)...)
			b.ReportAllocs()
			for b.Loop() {
				_ = c.compose(g, composeNow)
			}
		})
	}
}

// BenchmarkDeliverStorm delivers a storm of ten alerts through a real loopback SMTP server with
// STARTTLS and AUTH PLAIN: as ten groups of one (ten mails) and as one group of ten (one mail).
func BenchmarkDeliverStorm(b *testing.B) {
	srv := smtptest.Start(b, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	s, err := newSMTPSender(cfg)
	require.NoError(b, err)
	storm := benchAlerts(10)
	ctx := context.Background()
	b.Run("ten_mails", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, a := range storm {
				if err := s.Send(ctx, group(a)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("one_group", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Send(ctx, group(storm...)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
