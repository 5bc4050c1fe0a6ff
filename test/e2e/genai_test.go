//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// genAIFlags turn on the opt-in GenAI spans of the shipped config (genai is off there).
// redact.keys drops "token" so usage.prompt_tokens can be read (Validate refuses otherwise).
var genAIFlags = []string{
	"--set=receivers::multiagents::redact::keys=[password,api_key,secret,authorization]",
	"--set=receivers::multiagents::genai::enabled=true",
	"--set=receivers::multiagents::genai::provider=openai",
	"--set=receivers::multiagents::genai::model=gpt-4o",
	"--set=receivers::multiagents::genai::workers::summariser::provider=anthropic",
	"--set=receivers::multiagents::genai::usage::input_tokens=usage.prompt_tokens",
	"--set=receivers::multiagents::genai::usage::output_tokens=usage.completion_tokens",
}

// withPayload sets a result message's payload, as a worker that reports its LLM usage does.
func withPayload(t *testing.T, m agentsim.Message, payload map[string]any) agentsim.Message {
	var body map[string]any
	require.NoError(t, json.Unmarshal(m.Body, &body))
	body["payload"] = payload
	b, err := json.Marshal(body)
	require.NoError(t, err)
	m.Body = b
	return m
}

// With genai on, the built collector exports invoke_workflow / invoke_agent spans with the
// gen_ai attributes, and the token usage in results reaches the spans and the Prometheus counter.
func TestGenAISpansAndTokensThroughTheBinary(t *testing.T) {
	// The shipped deployment, restarted with genai on (restart keeps ports and storage).
	d := startDeployment(t)
	d.args = append(d.args, genAIFlags...)
	d.restart(t)

	w := agentsim.NewWorkflow(d.prefix, "research")
	d.publish(t, w.Started())
	cmd, summariseID := w.Command("summariser", 30, nil)
	d.publish(t, cmd)
	d.publish(t, withPayload(t, w.Result("summariser", summariseID, true, ""),
		map[string]any{"answer": "ok", "usage": map[string]any{"prompt_tokens": 321, "completion_tokens": 54}}))
	cmd, searchID := w.Command("search", 30, nil)
	d.publish(t, cmd)
	d.publish(t, withPayload(t, w.Result("search", searchID, true, ""),
		map[string]any{"usage": map[string]any{"prompt_tokens": 9, "completion_tokens": 1}}))
	d.publish(t, w.Completed())

	id := traceID(t, w.TxID)
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		return len(d.otlp.trace(id)) == 3
	}), "trace incomplete: %d spans\nlogs:\n%s", len(d.otlp.trace(id)), d.proc.Logs())

	spans := spansByName(d.otlp.trace(id))
	root, ok := spans["invoke_workflow research"]
	require.True(t, ok, "no invoke_workflow span: %v", spans)
	assert.Equal(t, map[string]any{
		"workflow.id": "research", "workflow.transaction_id": w.TxID, "workflow.status": "completed",
		"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "research", "gen_ai.conversation.id": w.TxID,
	}, root.Attributes().AsRaw())

	agent, ok := spans["invoke_agent summariser"]
	require.True(t, ok, "no invoke_agent span: %v", spans)
	assert.Equal(t, ptrace.SpanKindClient, agent.Kind())
	assert.Equal(t, root.SpanID(), agent.ParentSpanID())
	attrs := agent.Attributes().AsRaw()
	assert.Equal(t, "invoke_agent", attrs["gen_ai.operation.name"])
	assert.Equal(t, "summariser", attrs["gen_ai.agent.name"])
	assert.Equal(t, "anthropic", attrs["gen_ai.provider.name"], "per-worker provider")
	assert.Equal(t, "gpt-4o", attrs["gen_ai.request.model"], "default model")
	assert.Equal(t, int64(321), attrs["gen_ai.usage.input_tokens"])
	assert.Equal(t, int64(54), attrs["gen_ai.usage.output_tokens"])
	assert.Equal(t, "openai", spans["invoke_agent search"].Attributes().AsRaw()["gen_ai.provider.name"], "default provider")

	var body string
	require.True(t, collectortest.Eventually(15*time.Second, 500*time.Millisecond, func() bool {
		body = d.scrape(t)
		return sumSeries(body, "multiagents_gen_ai_tokens_total", `worker_name="summariser"`, `gen_ai_token_type="input"`) == 321
	}), "no token counter for summariser:\n%s", body)
	assert.Equal(t, 54.0, sumSeries(body, "multiagents_gen_ai_tokens_total", `worker_name="summariser"`, `gen_ai_token_type="output"`))
	assert.Equal(t, 9.0, sumSeries(body, "multiagents_gen_ai_tokens_total", `worker_name="search"`, `gen_ai_token_type="input"`))
}
