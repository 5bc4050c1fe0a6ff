// Package storageclient opens a client of the storage extension a component's `storage` key
// names, the same way for every component that keeps state across restarts: the receiver's
// checkpoint, the alert processor's alert state, the notifiers' groups, the silences and the
// Alertmanager exporter's alert state.
package storageclient

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// ErrOpen marks an error of the storage extension itself when asked for a client (the
// extension exists and is a storage extension). Components that can run without their stored
// state test for it with errors.Is and carry on; the others fail Start.
var ErrOpen = errors.New("cannot open a client of")

// Open returns a client of the storage extension id for the component owner of the given
// kind, under name. An extension that is missing, or is not a storage extension, is a
// configuration error naming the key, meant to fail Start.
func Open(ctx context.Context, host component.Host, id component.ID, kind component.Kind, owner component.ID, name string) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q not found; add it under extensions and service::extensions", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, kind, owner, name)
	if err != nil {
		return nil, fmt.Errorf("storage: %w %q: %w", ErrOpen, id, err)
	}
	return client, nil
}
