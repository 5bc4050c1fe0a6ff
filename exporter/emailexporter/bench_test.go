package emailexporter

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/smtptest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

func benchNotifications(n int) []notify.Notification {
	ns := make([]notify.Notification, n)
	for i := range ns {
		ns[i] = testNotification(fmt.Sprintf("worker_failure_%d", i%3), notify.StateFiring, notify.SeverityCritical)
		ns[i].Fingerprint = fmt.Sprintf("fp-%d", i)
	}
	return ns
}

func BenchmarkCompose(b *testing.B) {
	for _, n := range []int{1, 10, maxDigestAlerts} {
		b.Run(fmt.Sprintf("alerts=%d", n), func(b *testing.B) {
			c, err := newComposer(&Config{})
			require.NoError(b, err)
			ns := benchNotifications(n)
			b.ReportAllocs()
			for b.Loop() {
				_ = c.compose(ns, composeNow)
			}
		})
	}
}

// BenchmarkDeliverStorm delivers a storm of ten alerts through a real loopback SMTP server with
// STARTTLS and AUTH PLAIN: as ten mails (group_wait: 0) and as one digest.
func BenchmarkDeliverStorm(b *testing.B) {
	srv := smtptest.Start(b, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	s, err := newSMTPSender(cfg)
	require.NoError(b, err)
	storm := benchNotifications(10)
	ctx := context.Background()
	b.Run("ten_mails", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, n := range storm {
				if err := s.Send(ctx, n); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("one_digest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.deliver(ctx, storm); err != nil {
				b.Fatal(err)
			}
		}
	})
}
