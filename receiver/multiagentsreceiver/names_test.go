package multiagentsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChannelKindSplitsOnFirstDot(t *testing.T) {
	kind, name := channelKind("multiagent:command.billing.v2.charge", "multiagent:")
	assert.Equal(t, "command", kind)
	assert.Equal(t, "billing.v2.charge", name)
}

func TestStepNameShapes(t *testing.T) {
	for _, tt := range []struct {
		corr, tx     string
		compensation bool
		want         string
	}{
		{"t1.validate", "t1", false, "validate"},
		{"3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b.validate_order", "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b", false, "validate_order"}, // the decode tests' sample command
		{"t1.", "t1", false, ""},
		{"t1", "t1", false, ""},
		{"t1xvalidate", "t1", false, ""},
		{"t2.validate", "t1", false, ""},
		{"t1.comp.refund", "t1", true, "refund"},
		{"t1.comp.refund", "t1", false, "comp.refund"},
		{"t1.refund", "t1", true, "refund"},
		{".x", "", false, "x"},
		{"", "", false, ""},
	} {
		assert.Equal(t, tt.want, stepName(tt.corr, tt.tx, tt.compensation), "%+v", tt)
	}
}
