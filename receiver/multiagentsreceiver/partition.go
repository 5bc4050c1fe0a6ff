package multiagentsreceiver

import (
	"os"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Resource attributes that tell replicas apart, so that a downstream collector or
// Prometheus keeps their series separate and sums them.
const (
	attrServiceInstanceID = "service.instance.id"
	attrPartitionIndex    = "multiagents.partition.index"
	attrPartitionCount    = "multiagents.partition.count"

	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// partitionOf is the partition an event or saga of transactionID belongs to. Events without
// a transaction id (custom business events) belong to partition 0, so exactly one replica
// reports them.
func partitionOf(transactionID string, count int) int {
	if count <= 1 || transactionID == "" {
		return 0
	}
	// FNV-1a-64 inline (hash/fnv's would allocate per event on this path).
	h := uint64(fnvOffset64)
	for i := 0; i < len(transactionID); i++ {
		h ^= uint64(transactionID[i])
		h *= fnvPrime64
	}
	return int(h % uint64(count))
}

// ownsTransaction says whether this replica assembles, counts and exports transactionID.
func (cfg *Config) ownsTransaction(transactionID string) bool {
	p := cfg.Redis.Partition
	return p.Count <= 1 || partitionOf(transactionID, p.Count) == p.Index
}

// instanceID is service.instance.id: the configured one, or "<hostname>-p<index>", which a
// StatefulSet keeps stable across restarts of the same replica.
func (cfg *Config) instanceID() string {
	if cfg.InstanceID != "" {
		return cfg.InstanceID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "multiagents"
	}
	return host + "-p" + strconv.Itoa(cfg.Redis.Partition.Index)
}

// stampResource adds the replica's identity next to service.name.
func (r *multiAgentsReceiver) stampResource(res pcommon.Resource) {
	attrs := res.Attributes()
	attrs.PutStr(attrServiceInstanceID, r.instanceID)
	attrs.PutInt(attrPartitionIndex, int64(r.cfg.Redis.Partition.Index))
	attrs.PutInt(attrPartitionCount, int64(r.cfg.Redis.Partition.Count))
}
