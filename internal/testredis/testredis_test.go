package testredis

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartPublishRestart(t *testing.T) {
	s := Start(t)
	got, err := s.Do("PUBLISH", "multiagent:status.workflow", `{"type":"status"}`)
	require.NoError(t, err)
	require.Equal(t, ":0", got, "no subscriber yet, so PUBLISH reaches zero clients")

	s.Stop()
	require.Error(t, s.Ping(), "a stopped server must not answer")
	s.Restart()
	require.NoError(t, s.Ping())
}
