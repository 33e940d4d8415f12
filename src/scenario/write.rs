//! Writing scenario files: what `test --from-recording` prints and what the console saves
//! (a story of what is on screen, a composer request). Every value is written as a JSON
//! string or JSON value, which YAML reads as it is, so nothing a plugin or a user typed can
//! break the file's structure.

use super::format::{ContextSpec, PluginLaunch, SelectTarget, StepAction};
use crate::host::RenderContext;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
pub fn q(s: &str) -> String {
    y(&Value::from(s))
}

/// A JSON value as YAML flow syntax. JSON is YAML but for characters YAML may not hold as
/// they are (DEL, C1 controls, U+FFFE/FFFF) or reads as line breaks (NEL, U+2028, U+2029):
/// those are written as `\uXXXX` escapes, which mean the same in both.
pub fn y(v: &Value) -> String {
    let json = v.to_string();
    let unsafe_for_yaml = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    if !json.chars().any(unsafe_for_yaml) {
        return json;
    }
    // They only occur inside strings, where an escape stands for them.
    json.chars()
        .map(|c| {
            if unsafe_for_yaml(c) {
                format!("\\u{:04x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One step as a line of YAML (without the `  - ` in front).
pub fn step_yaml(a: &StepAction) -> String {
    match a {
        StepAction::Render(c) => format!("render: {}", q(c)),
        StepAction::Click(b) => format!("click: {}", q(b)),
        StepAction::Select(SelectTarget::Id(id)) => format!("select: {{id: {}}}", q(id)),
        StepAction::Select(SelectTarget::Row(n)) => format!("select: {{row: {n}}}"),
        StepAction::Select(SelectTarget::Label(l)) => format!("select: {{label: {}}}", q(l)),
        StepAction::Submit { form, data } => format!(
            "submit: {{form: {}, data: {}}}",
            q(form.as_deref().unwrap_or("submit")),
            y(&Value::Object(data.clone()))
        ),
        StepAction::Tool { name, arguments } => {
            format!("tool: {{name: {}, arguments: {}}}", q(name), y(arguments))
        }
        StepAction::Call { method, params } => {
            format!("call: {{method: {}, params: {}}}", q(method), y(params))
        }
    }
}

/// `03-click-view_all`: the step number and what it does, as a file-name-safe word.
pub fn snapshot_name(n: usize, a: &StepAction) -> String {
    let slug: String = a
        .label()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(40).collect();
    format!("{n:02}-{}", slug.trim_end_matches('-'))
}

/// One step and the lines of its `expect:` list (each already YAML, e.g. `no_error`).
#[derive(Clone, Debug, PartialEq)]
pub struct StepOut {
    pub action: StepAction,
    pub expect: Vec<String>,
}

/// The text of a scenario file: `header` as comment lines, then name, plugin, context (only
/// what differs from the defaults) and steps.
pub fn scenario_text(
    header: &[String],
    name: &str,
    launch: &PluginLaunch,
    context: &ContextSpec,
    steps: &[StepOut],
) -> String {
    let mut out = String::new();
    for line in header {
        // One comment line each: a line break in plugin text would start YAML.
        let _ = writeln!(out, "# {}", crate::text::sanitize_line(line));
    }
    let _ = writeln!(out, "name: {}", q(name));
    let _ = writeln!(out, "plugin:");
    match launch {
        PluginLaunch::Command(cmd) => {
            let _ = writeln!(out, "  command: {}", y(&Value::from(cmd.clone())));
        }
        PluginLaunch::Manifest(m) => {
            let _ = writeln!(out, "  manifest: {}", q(&m.display().to_string()));
        }
    }
    let ctx = serde_json::to_value(context).unwrap_or_default();
    if let Some(map) = ctx.as_object().filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "context:");
        for (k, v) in map {
            let _ = writeln!(out, "  {k}: {}", y(v));
        }
    }
    let _ = writeln!(out, "steps:");
    for s in steps {
        let _ = writeln!(out, "  - {}", step_yaml(&s.action));
        if !s.expect.is_empty() {
            let _ = writeln!(out, "    expect:");
            for e in &s.expect {
                let _ = writeln!(out, "      - {e}");
            }
        }
    }
    out
}

/// The overrides that make [`ContextSpec::render_context`] give `ctx` back: only what differs
/// from the defaults for its visitor (a key the defaults have and `ctx.visitor` lacks cannot
/// be said, and is sent with its default).
pub fn context_spec(ctx: &RenderContext) -> ContextSpec {
    let base = RenderContext::for_visitor(&ctx.visitor_id);
    let differs = |got: &str, default: &str| (got != default).then(|| got.to_string());
    let visitor: Map<String, Value> = ctx
        .visitor
        .iter()
        .filter(|(k, v)| k.as_str() != "id" && base.visitor.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ContextSpec {
        visitor_id: differs(&ctx.visitor_id, &RenderContext::default().visitor_id),
        session_id: differs(&ctx.session_id, &base.session_id),
        language: differs(&ctx.language, &base.language),
        channel_id: differs(&ctx.channel_id, &base.channel_id),
        channel_type: differs(&ctx.channel_type, &base.channel_type),
        platform_type: differs(&ctx.platform_type, &base.platform_type),
        agent_id: differs(&ctx.agent_id, &base.agent_id),
        visitor: (!visitor.is_empty()).then_some(visitor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::format::parse;
    use serde_json::json;
    use std::path::Path;

    #[test]
    fn written_steps_and_context_read_back_the_same() {
        let mut ctx = RenderContext::for_visitor("v_7");
        ctx.language = "en-US".into();
        ctx.channel_type = "wechat".into();
        ctx.visitor
            .insert("name".into(), json!("Ann \"the\"\nsecond"));
        ctx.visitor.insert("tags".into(), json!(["vip"]));
        let steps = vec![
            StepOut {
                action: StepAction::Render("Orders: \"open\" #1".into()),
                expect: vec!["{snapshot: 01-render}".into()],
            },
            StepOut {
                action: StepAction::Click("view\u{7f}_all\u{2028}".into()),
                expect: Vec::new(),
            },
            StepOut {
                action: StepAction::Select(SelectTarget::Id("ORD-2".into())),
                expect: Vec::new(),
            },
            StepOut {
                action: StepAction::Submit {
                    form: Some("create".into()),
                    data: json!({"title": "a: b", "n": 2})
                        .as_object()
                        .unwrap()
                        .clone(),
                },
                expect: vec!["no_error".into()],
            },
            StepOut {
                action: StepAction::Call {
                    method: "ping".into(),
                    params: json!({"x": [1, {"y": null}]}),
                },
                expect: Vec::new(),
            },
        ];
        let text = scenario_text(
            &["saved\nby a test".into()],
            "a story: with \"quotes\"",
            &PluginLaunch::Manifest("../plugin.yml".into()),
            &context_spec(&ctx),
            &steps,
        );
        assert!(text.starts_with("# saved\\nby a test\n"), "{text}");
        let s = parse(&text, Path::new("x.scenario.yml")).unwrap();
        assert_eq!(s.name, "a story: with \"quotes\"");
        assert_eq!(
            s.plugin.launch,
            PluginLaunch::Manifest("../plugin.yml".into())
        );
        assert_eq!(s.context.render_context(), ctx);
        let read: Vec<&StepAction> = s.steps.iter().map(|s| &s.action).collect();
        let written: Vec<&StepAction> = steps.iter().map(|s| &s.action).collect();
        assert_eq!(read, written);
        assert_eq!(s.steps[0].expect.len(), 1);
        assert_eq!(s.steps[3].expect[0].to_string(), "no_error");
        // The defaults need no overrides at all.
        assert_eq!(
            context_spec(&RenderContext::default()),
            ContextSpec::default()
        );
    }
}
