//! Wording of the problems shown in the plugins pane.

/// A registration's notes as lines to show: the fields it lacks in one line
/// (`register lacks name, version, capabilities: TGO will never call this plugin`), then any
/// other note as it is.
pub fn register_warning(notes: &[String]) -> Vec<String> {
    let mut lacks = Vec::new();
    let mut tail = None;
    let mut others = Vec::new();
    for n in notes {
        match n
            .strip_prefix("no \"")
            .and_then(|rest| rest.split_once('"'))
        {
            Some((field, rest)) => {
                lacks.push(field);
                // "no \"capabilities\": TGO will never call this plugin" says why it matters.
                if let Some(why) = rest.strip_prefix(": TGO") {
                    tail = Some(format!(": TGO{why}"));
                }
            }
            None => others.push(n.clone()),
        }
    }
    let mut out = Vec::new();
    if !lacks.is_empty() {
        out.push(format!(
            "register lacks {}{}",
            lacks.join(", "),
            tail.unwrap_or_default()
        ));
    }
    out.extend(others);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lacking_fields_are_named_in_one_line() {
        let notes = [
            "no \"name\": shown as \"unknown\"".to_string(),
            "no \"version\": shown as 0.0.0".to_string(),
            "no \"capabilities\": TGO will never call this plugin".to_string(),
            "capabilities[0]: \"priority\" \"high\" is not an integer, using 10".to_string(),
        ];
        assert_eq!(
            register_warning(&notes),
            [
                "register lacks name, version, capabilities: TGO will never call this plugin",
                "capabilities[0]: \"priority\" \"high\" is not an integer, using 10",
            ]
        );
        assert!(register_warning(&[]).is_empty());
    }
}
