package multiagentsreceiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
	// v1.41.0 is the newest semconv package in the module graph (otel v1.47.0) that still
	// carries the gen_ai registry: v1.42.0 and v1.43.0 ship without it.
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// GenAI attribute names and values, taken from the semconv registry so a rename there
// fails the build. All of them are at stability "development" in v1.41.0.
var (
	attrGenAIOperationName    = string(semconv.GenAIOperationNameKey)
	attrGenAIAgentName        = string(semconv.GenAIAgentNameKey)
	attrGenAIProviderName     = string(semconv.GenAIProviderNameKey)
	attrGenAIRequestModel     = string(semconv.GenAIRequestModelKey)
	attrGenAIConversationID   = string(semconv.GenAIConversationIDKey)
	attrGenAIWorkflowName     = string(semconv.GenAIWorkflowNameKey)
	attrGenAIUsageInputTokens = string(semconv.GenAIUsageInputTokensKey)
	attrGenAIUsageOutput      = string(semconv.GenAIUsageOutputTokensKey)
	attrGenAITokenType        = string(semconv.GenAITokenTypeKey)

	genAIOpInvokeAgent    = semconv.GenAIOperationNameInvokeAgent.Value.AsString()
	genAIOpInvokeWorkflow = semconv.GenAIOperationNameInvokeWorkflow.Value.AsString()
	genAITokenInput       = semconv.GenAITokenTypeInput.Value.AsString()
	genAITokenOutput      = semconv.GenAITokenTypeOutput.Value.AsString()
)

// metricGenAITokens counts tokens per worker and token type. It is a counter, not the
// conventions' gen_ai.client.token.usage histogram: the bus only tells per-result totals,
// and a sum is what cost and quota dashboards need; the multiagents. prefix keeps it from
// colliding with an SDK's real gen_ai.client.token.usage.
const metricGenAITokens = metricnames.GenAITokens

// GenAIConfig makes the receiver emit worker and workflow spans in the OpenTelemetry GenAI
// conventions for agents. Off by default: span names and attributes stay as documented.
type GenAIConfig struct {
	// Enabled renames worker spans to "invoke_agent <worker>" and workflow spans to
	// "invoke_workflow <workflow id>" and adds the gen_ai.* attributes.
	Enabled bool `mapstructure:"enabled"`
	// Provider is gen_ai.provider.name for workers not listed in workers (the bus does not
	// carry it, and the conventions require it on invoke_agent spans).
	Provider string `mapstructure:"provider"`
	// Model is gen_ai.request.model for workers not listed in workers; empty omits it.
	Model string `mapstructure:"model"`
	// Workers overrides provider and model per worker type.
	Workers map[string]GenAIWorkerConfig `mapstructure:"workers"`
	// Usage names where in a result's payload the token counts are.
	Usage GenAIUsageConfig `mapstructure:"usage"`

	_ struct{}
}

// GenAIWorkerConfig is what the bus does not say about one worker.
type GenAIWorkerConfig struct {
	// Provider is gen_ai.provider.name; empty falls back to genai.provider.
	Provider string `mapstructure:"provider"`
	// Model is gen_ai.request.model; empty falls back to genai.model.
	Model string `mapstructure:"model"`

	_ struct{}
}

// GenAIUsageConfig holds dotted paths into a ResultEvent's payload, e.g. usage.prompt_tokens.
type GenAIUsageConfig struct {
	// InputTokens becomes gen_ai.usage.input_tokens; empty reads none.
	InputTokens string `mapstructure:"input_tokens"`
	// OutputTokens becomes gen_ai.usage.output_tokens; empty reads none.
	OutputTokens string `mapstructure:"output_tokens"`

	_ struct{}
}

// maxGenAIPathSegments bounds the depth of a usage path.
const maxGenAIPathSegments = 16

func (g *GenAIConfig) validate(redactKeys []string) []error {
	if !g.Enabled {
		return nil
	}
	var errs []error
	if strings.TrimSpace(g.Provider) == "" {
		errs = append(errs, errors.New("genai.provider: must not be empty when genai.enabled is true (gen_ai.provider.name is required on invoke_agent spans; e.g. openai)"))
	}
	for name, w := range g.Workers {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("genai.workers: a worker name must not be empty"))
		}
		if w.Provider != "" && strings.TrimSpace(w.Provider) == "" {
			errs = append(errs, fmt.Errorf("genai.workers.%s.provider: must not be blank", name))
		}
	}
	renderer := newPayloadRenderer(redactKeys, 1)
	for _, p := range []struct{ key, path string }{
		{"genai.usage.input_tokens", g.Usage.InputTokens},
		{"genai.usage.output_tokens", g.Usage.OutputTokens},
	} {
		if p.path == "" {
			continue
		}
		segs := strings.Split(p.path, ".")
		if len(segs) > maxGenAIPathSegments {
			errs = append(errs, fmt.Errorf("%s: at most %d segments, got %d", p.key, maxGenAIPathSegments, len(segs)))
			continue
		}
		for _, s := range segs {
			if s == "" {
				errs = append(errs, fmt.Errorf("%s: empty segment in %q (use a.b.c)", p.key, p.path))
				break
			}
			// The value would be redacted before it could be read: say so now rather than
			// emit nothing at run time.
			if renderer.sensitive(s) {
				errs = append(errs, fmt.Errorf("%s: segment %q of %q matches a redact.keys entry, so its value is redacted; "+
					"narrow redact.keys (e.g. access_token instead of token) or point at another field", p.key, s, p.path))
				break
			}
		}
	}
	return errs
}

// genAI decorates spans and reads token usage; nil when genai is off.
type genAI struct {
	cfg      *GenAIConfig
	renderer *payloadRenderer
	input    []string
	output   []string
}

func newGenAI(cfg *Config, renderer *payloadRenderer) *genAI {
	if !cfg.GenAI.Enabled {
		return nil
	}
	g := &genAI{cfg: &cfg.GenAI, renderer: renderer}
	if p := cfg.GenAI.Usage.InputTokens; p != "" {
		g.input = strings.Split(p, ".")
	}
	if p := cfg.GenAI.Usage.OutputTokens; p != "" {
		g.output = strings.Split(p, ".")
	}
	return g
}

func (g *genAI) providerModel(worker string) (provider, model string) {
	provider, model = g.cfg.Provider, g.cfg.Model
	if w, ok := g.cfg.Workers[worker]; ok {
		if w.Provider != "" {
			provider = w.Provider
		}
		if w.Model != "" {
			model = w.Model
		}
	}
	return provider, model
}

// decorateStep turns a worker span into an invoke_agent span. The worker runs in another
// process behind the bus, so the conventions' kind for a remote agent applies: CLIENT.
func (g *genAI) decorateStep(span ptrace.Span, worker, transactionID string) {
	span.SetName(genAIOpInvokeAgent + " " + worker)
	span.SetKind(ptrace.SpanKindClient)
	attrs := span.Attributes()
	provider, model := g.providerModel(worker)
	attrs.PutStr(attrGenAIOperationName, genAIOpInvokeAgent)
	attrs.PutStr(attrGenAIAgentName, worker)
	attrs.PutStr(attrGenAIProviderName, g.renderer.capString(provider))
	if model != "" {
		attrs.PutStr(attrGenAIRequestModel, g.renderer.capString(model))
	}
	attrs.PutStr(attrGenAIConversationID, transactionID)
}

// decorateWorkflow turns a workflow root span into an invoke_workflow span.
func (g *genAI) decorateWorkflow(span ptrace.Span, workflowID, transactionID string) {
	span.SetName(genAIOpInvokeWorkflow + " " + workflowID)
	attrs := span.Attributes()
	attrs.PutStr(attrGenAIOperationName, genAIOpInvokeWorkflow)
	attrs.PutStr(attrGenAIWorkflowName, workflowID)
	attrs.PutStr(attrGenAIConversationID, transactionID)
}

// tokenUsage is what a result payload says about tokens; a negative count is unknown.
type tokenUsage struct{ input, output int64 }

// usage reads the configured paths from a result payload. Only non-negative integers are
// taken, so nothing of the payload but a number leaves the receiver; a path through a
// redacted key reads nothing (Validate refuses such paths, this guards later edits).
func (g *genAI) usage(payload json.RawMessage) tokenUsage {
	u := tokenUsage{input: -1, output: -1}
	if len(g.input) == 0 && len(g.output) == 0 || len(payload) == 0 {
		return u
	}
	// Most results carry no usage: a byte scan for the leaf keys spares them a full decode.
	// A leaf key spelled with JSON escapes is missed, which only loses a count.
	if !containsKey(payload, g.input) && !containsKey(payload, g.output) {
		return u
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return u
	}
	u.input = g.lookup(doc, g.input)
	u.output = g.lookup(doc, g.output)
	return u
}

func containsKey(payload []byte, path []string) bool {
	return len(path) > 0 && bytes.Contains(payload, []byte(`"`+path[len(path)-1]+`"`))
}

func (g *genAI) lookup(doc any, path []string) int64 {
	if len(path) == 0 {
		return -1
	}
	v := doc
	for _, seg := range path {
		obj, ok := v.(map[string]any)
		if !ok || g.renderer.sensitive(seg) {
			return -1
		}
		if v, ok = obj[seg]; !ok {
			return -1
		}
	}
	n, ok := v.(json.Number)
	if !ok {
		return -1
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		return -1
	}
	return i
}

// record puts the usage on the span (when there is one) and into the token counter.
func (g *genAI) record(span *ptrace.Span, wm *workflowMetrics, worker string, u tokenUsage) {
	if u.input >= 0 {
		if span != nil {
			span.Attributes().PutInt(attrGenAIUsageInputTokens, u.input)
		}
		wm.addTokens(worker, genAITokenInput, u.input)
	}
	if u.output >= 0 {
		if span != nil {
			span.Attributes().PutInt(attrGenAIUsageOutput, u.output)
		}
		wm.addTokens(worker, genAITokenOutput, u.output)
	}
}

// addTokens adds n tokens to the worker's series, bounded like the other per-worker series.
func (wm *workflowMetrics) addTokens(worker, tokenType string, n int64) {
	if wm.genAITokens == nil {
		wm.genAITokens = map[labelPair]int64{}
	}
	k := labelPair{worker, tokenType}
	if _, ok := wm.genAITokens[k]; !ok && len(wm.genAITokens) >= maxSeriesPerMetric {
		k = labelPair{a: overflowKey, b: overflowKey}
	}
	wm.genAITokens[k] += n
}
