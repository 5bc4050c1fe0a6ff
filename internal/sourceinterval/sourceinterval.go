// Package sourceinterval estimates how often a metric source sends a series, so that a gauge
// whose source stopped (a killed replica) stops counting soon after its next point was due.
// worker_health (command gauges) and the alert processor (gauges in value/avg rules) use it.
package sourceinterval

// Next updates an interval estimate (ns; 0 = unknown) with a new gap between two points of a
// series: a longer gap is taken at once, a shorter one only by 1/8 per point. Reading a source as
// slower than it is only delays the expiry of a dead one; reading it as faster (after a burst of
// early points, an exporter's retries, or the extra points a source sends on every change between
// its timer points) would drop a live one's reading between two of its points.
func Next(interval, gap int64) int64 {
	if gap >= interval {
		return gap
	}
	return interval - (interval-gap)/8
}
