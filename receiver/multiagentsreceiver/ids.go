package multiagentsreceiver

import (
	"crypto/sha256"
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// traceIDFor is the 16 bytes of a UUID transaction id, or a stable hash of any other id,
// so that every process that sees the same transaction derives the same trace id.
func traceIDFor(transactionID string) pcommon.TraceID {
	var id pcommon.TraceID
	if parseUUID(transactionID, id[:]) {
		return id
	}
	sum := sha256.Sum256([]byte(transactionID))
	copy(id[:], sum[:16])
	return id
}

// parseUUID decodes a canonical (8-4-4-4-12) or bare 32-hex-digit UUID into dst.
func parseUUID(s string, dst []byte) bool {
	var hexDigits [32]byte
	n := 0
	switch len(s) {
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
				continue
			}
			hexDigits[n] = s[i]
			n++
		}
	case 32:
		n = copy(hexDigits[:], s)
	default:
		return false
	}
	if _, err := hex.Decode(dst, hexDigits[:n]); err != nil {
		return false
	}
	return true
}

// Span ids are derived from the framework's own ids (FNV-1a, 64 bit), so the span of a
// step can be linked from its compensation, recognised after a restart, and rebuilt
// from saga state without any stored mapping.
const (
	spanRoleRoot         = "root:"
	spanRoleStep         = "step:"
	spanRoleCompensation = "comp:"
)

func spanIDFor(role, id string) pcommon.SpanID {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(role); i++ {
		h ^= uint64(role[i])
		h *= prime
	}
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	if h == 0 {
		h = 1 // the all-zero span id is invalid
	}
	var sid pcommon.SpanID
	for i := 0; i < 8; i++ {
		sid[i] = byte(h >> (56 - 8*i))
	}
	return sid
}

// hashKey is the 64-bit key the bounded sets of finished ids are keyed by.
func hashKey(role, id string) uint64 {
	sid := spanIDFor(role, id)
	var h uint64
	for _, b := range sid {
		h = h<<8 | uint64(b)
	}
	return h
}
