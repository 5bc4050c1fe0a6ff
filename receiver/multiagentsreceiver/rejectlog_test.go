package multiagentsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

func TestRejectedEventsWarnOncePerReason(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	r, err := newReceiver(createDefaultConfig().(*Config), set)
	require.NoError(t, err)

	for range 1000 {
		r.countRejected(&eventcodec.Error{Reason: eventcodec.ReasonMissingType}, "redis", "multiagent:command.x")
	}
	r.countRejected(&eventcodec.Error{Reason: eventcodec.ReasonMissingTransactionID}, "redis", "multiagent:command.x")

	assert.Equal(t, 2, logs.FilterLevelExact(zapcore.WarnLevel).Len(), "one warning per reason, not one per event")
	assert.Equal(t, 999, logs.FilterLevelExact(zapcore.DebugLevel).Len(), "the rest go to debug")
}
