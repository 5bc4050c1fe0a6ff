//go:build e2e

package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// The parts of Grafana's dashboard JSON model the tests read.
type dashboardModel struct {
	Title         string       `json:"title"`
	UID           string       `json:"uid"`
	SchemaVersion int          `json:"schemaVersion"`
	Panels        []panelModel `json:"panels"`
	Templating    struct {
		List []variableModel `json:"list"`
	} `json:"templating"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelModel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []targetModel `json:"targets"`
	// Panels are the children of a collapsed row.
	Panels []panelModel `json:"panels"`
}

type targetModel struct {
	RefID        string         `json:"refId"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Datasource   *datasourceRef `json:"datasource"`
}

type variableModel struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasourceRef  `json:"datasource"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// dashboardPath is the shipped dashboard.
func dashboardPath(t *testing.T) string {
	return filepath.Join(collectortest.RepoRoot(t), "dashboards", "multiagents.json")
}

func loadDashboard(t *testing.T) dashboardModel {
	t.Helper()
	raw, err := os.ReadFile(dashboardPath(t))
	if err != nil {
		t.Fatalf("read dashboard: %v", err)
	}
	var d dashboardModel
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboards/multiagents.json is not valid JSON: %v", err)
	}
	return d
}

// allPanels flattens rows (collapsed rows keep their panels inside).
func (d dashboardModel) allPanels() []panelModel {
	var out []panelModel
	var walk func([]panelModel)
	walk = func(ps []panelModel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// promQuery is one PromQL expression of the dashboard and where it lives.
type promQuery struct {
	Where string // "panel title / refId"
	Expr  string
	// Labels are the labels the legend names ({{worker_name}}): every series must carry them,
	// which catches a by() clause or a label name that does not exist.
	Labels []string
}

func (d dashboardModel) queries() []promQuery {
	var out []promQuery
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) != "" {
				out = append(out, promQuery{Where: fmt.Sprintf("%q / %s", p.Title, tg.RefID), Expr: tg.Expr, Labels: legendLabels(tg.LegendFormat)})
			}
		}
	}
	return out
}

// variable returns the template variable called name.
func (d dashboardModel) variable(name string) (variableModel, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return variableModel{}, false
}

// grafanaVariable matches $name, ${name} and ${name:format}.
var grafanaVariable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z0-9_]+)`)

// expand substitutes Grafana's built-in interval variables and the dashboard's template variables as
// Grafana does before it sends a query; it reports the variables it does not know.
func expand(expr string, values map[string]string) (string, []string) {
	var unknown []string
	out := grafanaVariable.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVariable.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		v, ok := values[name]
		if !ok {
			unknown = append(unknown, m)
			return m
		}
		return v
	})
	return out, unknown
}

// labelValuesQuery parses a Grafana label_values(metric, label) variable definition.
var labelValuesQuery = regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$`)

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// legendLabels lists the labels a Grafana legend format refers to.
func legendLabels(format string) []string {
	var out []string
	for _, m := range legendLabel.FindAllStringSubmatch(format, -1) {
		out = append(out, m[1])
	}
	return out
}
