package storageclient

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// fakeStorage is a storage extension that hands out the nop client or fails.
type fakeStorage struct {
	component.StartFunc
	component.ShutdownFunc
	err error

	kind  component.Kind
	owner component.ID
	name  string
}

func (f *fakeStorage) GetClient(_ context.Context, kind component.Kind, owner component.ID, name string) (storage.Client, error) {
	f.kind, f.owner, f.name = kind, owner, name
	if f.err != nil {
		return nil, f.err
	}
	return storage.NewNopClient(), nil
}

type notStorage struct {
	component.StartFunc
	component.ShutdownFunc
}

var (
	storageID = component.MustNewID("file_storage")
	owner     = component.MustNewIDWithName("alert", "a")
)

func TestOpenAsksTheNamedExtensionForTheOwnersClient(t *testing.T) {
	ext := &fakeStorage{}
	client, err := Open(context.Background(), host{storageID: ext}, storageID, component.KindProcessor, owner, "state")
	require.NoError(t, err)
	assert.NotNil(t, client)
	assert.Equal(t, component.KindProcessor, ext.kind)
	assert.Equal(t, owner, ext.owner)
	assert.Equal(t, "state", ext.name)
}

func TestOpenFailsOnAMissingOrWrongExtension(t *testing.T) {
	_, err := Open(context.Background(), host{}, storageID, component.KindReceiver, owner, "state")
	require.EqualError(t, err, `storage: extension "file_storage" not found; add it under extensions and service::extensions`)
	assert.False(t, errors.Is(err, ErrOpen), "a configuration error, not a storage failure")

	_, err = Open(context.Background(), host{storageID: &notStorage{}}, storageID, component.KindReceiver, owner, "state")
	require.EqualError(t, err, `storage: extension "file_storage" is not a storage extension`)
	assert.False(t, errors.Is(err, ErrOpen))
}

func TestOpenMarksAFailingExtension(t *testing.T) {
	cause := errors.New("disk full")
	_, err := Open(context.Background(), host{storageID: &fakeStorage{err: cause}}, storageID, component.KindExporter, owner, "state")
	require.EqualError(t, err, `storage: cannot open a client of "file_storage": disk full`)
	assert.ErrorIs(t, err, ErrOpen)
	assert.ErrorIs(t, err, cause)
}
