package alertprocessor

import (
	"fmt"
	"slices"
	"strings"
)

// descriptionTemplate is a description split into literal text and group-label references.
// Only group labels may be referenced, so a description is constant for an instance's life.
type descriptionTemplate struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	label   string // a group label when non-empty
}

// parseDescription reads "text {{ label }} text"; every label must be one of groupBy.
func parseDescription(text string, groupBy []string) (descriptionTemplate, error) {
	return parseTemplate(text, func(label string) error {
		if !slices.Contains(groupBy, label) {
			return fmt.Errorf("{{ %s }} is not a group_by label (descriptions use group labels only, so they stay constant per instance)", label)
		}
		return nil
	})
}

// parseAnnotation checks an annotation's text: it may refer to the rule's group and static
// labels and to {{ $value }}. It is written as configured; notifiers fill it in at send time
// (internal/notify.RenderAnnotation), so these are the references they can resolve.
func parseAnnotation(text string, labels []string) (descriptionTemplate, error) {
	return parseTemplate(text, func(label string) error {
		if label != valueReference && !slices.Contains(labels, label) {
			return fmt.Errorf("{{ %s }} is neither a group_by nor a static label of the rule, nor {{ %s }}", label, valueReference)
		}
		return nil
	})
}

// parseTemplate splits "text {{ ref }} text"; known says whether a reference may be used.
func parseTemplate(text string, known func(string) error) (descriptionTemplate, error) {
	var t descriptionTemplate
	for text != "" {
		open := strings.Index(text, "{{")
		if open < 0 {
			if strings.Contains(text, "}}") {
				return t, fmt.Errorf("%q has a \"}}\" without \"{{\"", text)
			}
			t.parts = append(t.parts, templatePart{literal: text})
			break
		}
		if strings.Contains(text[:open], "}}") {
			return t, fmt.Errorf("%q has a \"}}\" without \"{{\"", text)
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: text[:open]})
		}
		closing := strings.Index(text[open:], "}}")
		if closing < 0 {
			return t, fmt.Errorf("unclosed \"{{\" in %q", text)
		}
		label := strings.TrimSpace(text[open+2 : open+closing])
		if err := known(label); err != nil {
			return t, err
		}
		t.parts = append(t.parts, templatePart{label: label})
		text = text[open+closing+2:]
	}
	return t, nil
}

// render fills the template from an instance's group labels.
func (t descriptionTemplate) render(labels map[string]string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.label != "" {
			b.WriteString(labels[p.label])
		} else {
			b.WriteString(p.literal)
		}
	}
	return b.String()
}
