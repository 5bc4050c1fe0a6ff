package multiagentsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTraceIDFromUUID(t *testing.T) {
	id := traceIDFor("3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b")
	assert.Equal(t, "3f2b8c4e9a1d4e7bb0c25d6e7f809a1b", id.String())
	other := traceIDFor("TX-789")
	assert.False(t, other.IsEmpty())
	assert.Equal(t, other, traceIDFor("TX-789"), "stable hash for non-UUID ids")
	assert.NotEqual(t, other, traceIDFor("TX-790"))
}
