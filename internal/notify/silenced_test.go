package notify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSilencedIsAMutedFiringState(t *testing.T) {
	got, err := parseState("silenced")
	require.NoError(t, err)
	assert.Equal(t, StateSilenced, got)
	assert.True(t, StateSilenced.Muted())
	assert.True(t, StateSilenced.Firing(), "a silenced instance still fires")
	assert.False(t, StateFiring.Muted())
	_, err = parseState("silent")
	assert.ErrorContains(t, err, "silenced", "the error lists the accepted states")
}

// A silence set on an alert already told keeps it open without news; when the silence ends the
// alert is firing again and, as with inhibition, its resolve is told as usual.
func TestSilencedAlertsAreNotToldAndNotifyAgainWhenTheSilenceEnds(t *testing.T) {
	h := newHarness(t, testConfig())

	// Silenced from the start: nothing is told, not even its resolve.
	h.push(on("w1", "silenced"))
	h.at(time.Minute)
	h.push(on("w1", "resolved"))
	h.at(2 * time.Minute)
	assert.Empty(t, h.sender.sent(), "a silenced alert is never notified")

	// Silenced before being told, then the silence ends: that is news.
	h.clock.set(t0.Add(10 * time.Minute))
	h.push(on("w2", "silenced"))
	h.at(20 * time.Minute)
	assert.Empty(t, h.sender.sent())
	h.push(on("w2", "firing"))
	h.at(20*time.Minute + 2*time.Second)
	require.Equal(t, []string{"firing[fp-w2]"}, h.sender.sent())

	// Told, then silenced: it stays open, no repeat while silenced, and its resolve is told.
	h.push(on("w2", "silenced"))
	h.at(5 * time.Hour)
	assert.Len(t, h.sender.sent(), 1, "no repeat while silenced")
	h.push(on("w2", "resolved"))
	h.at(5*time.Hour + 2*time.Second)
	require.Len(t, h.sender.sent(), 2)
	assert.Equal(t, "resolved[] resolved[fp-w2]", h.sender.sent()[1])
}
