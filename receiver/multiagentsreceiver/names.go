package multiagentsreceiver

// What the framework's names say: the step in a correlation id, the kind in a channel name.

import "strings"

// stepName returns the step part of a correlation id "<tx>.<step>" or "<tx>.comp.<step>",
// or "" when the id does not have that shape.
func stepName(correlationID, transactionID string, compensation bool) string {
	// Cut "<tx>." without building that string: this runs for every command.
	if len(correlationID) <= len(transactionID)+1 || !strings.HasPrefix(correlationID, transactionID) || correlationID[len(transactionID)] != '.' {
		return ""
	}
	rest := correlationID[len(transactionID)+1:]
	if compensation {
		if s, ok := strings.CutPrefix(rest, "comp."); ok {
			return s
		}
	}
	return rest
}

// channelKind splits a channel name "<prefix><kind>.<name>" on the FIRST dot after the
// prefix; worker types may contain dots themselves. It reports the kind word and the name.
func channelKind(channel, prefix string) (kind, name string) {
	rest := strings.TrimPrefix(channel, prefix)
	kind, name, _ = strings.Cut(rest, ".")
	return kind, name
}
