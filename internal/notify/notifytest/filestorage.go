package notifytest

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"
)

// FileStorageID is the id under which StartFileStorage's extension is known.
var FileStorageID = component.MustNewID("file_storage")

// Host is a component.Host holding extensions.
type Host map[component.ID]component.Component

// GetExtensions returns the host's extensions.
func (h Host) GetExtensions() map[component.ID]component.Component { return h }

// StartFileStorage starts the real file_storage extension over dir and returns a host holding it
// and a function that shuts it down (as a collector stop does). Two runs over one dir see the
// same data, which is what a restart test needs.
func StartFileStorage(t *testing.T, dir string) (Host, func()) {
	t.Helper()
	factory := filestorage.NewFactory()
	cfg := factory.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	cfg.Compaction.Directory = dir
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	host := Host{FileStorageID: ext}
	require.NoError(t, ext.Start(context.Background(), host))
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			require.NoError(t, ext.Shutdown(context.Background()))
		}
	}
	t.Cleanup(stop)
	return host, stop
}
