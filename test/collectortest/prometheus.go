package collectortest

import (
	"regexp"
	"strconv"
	"strings"
)

var promSampleValue = regexp.MustCompile(` ([0-9.eE+-]+|NaN|[+-]Inf)$`)

// SumSeries adds up the samples of metric name in a Prometheus text exposition whose labels
// contain every one of labels (each written label="value").
func SumSeries(body, name string, labels ...string) float64 {
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if m := promSampleValue.FindStringSubmatch(line); match && m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			total += v
		}
	}
	return total
}
