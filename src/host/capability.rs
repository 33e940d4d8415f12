//! Capability types (`register`'s `capabilities[].type`) and the methods each one is sent.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A capability's `type`. The ones the protocol defines are variants; any other string is
/// accepted as [`Other`](Self::Other) (sent the generic `<type>/render` and `<type>/event`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapabilityKind {
    VisitorPanel,
    ChatToolbar,
    McpTools,
    SidebarIframe,
    ChannelIntegration,
    /// A type the protocol does not define, as the plugin wrote it.
    Other(String),
}

impl CapabilityKind {
    /// Every type the protocol defines.
    pub const KNOWN: [CapabilityKind; 5] = [
        Self::VisitorPanel,
        Self::ChatToolbar,
        Self::McpTools,
        Self::SidebarIframe,
        Self::ChannelIntegration,
    ];

    /// The type as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::VisitorPanel => "visitor_panel",
            Self::ChatToolbar => "chat_toolbar",
            Self::McpTools => "mcp_tools",
            Self::SidebarIframe => "sidebar_iframe",
            Self::ChannelIntegration => "channel_integration",
            Self::Other(s) => s,
        }
    }

    /// Whether the protocol defines this type.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// The method that renders this type (`None` for `mcp_tools`, which has no render).
    pub fn render_method(&self) -> Option<String> {
        match self {
            Self::McpTools => None,
            Self::SidebarIframe => Some("sidebar_iframe/config".into()),
            Self::ChannelIntegration => Some("channel_integration/manifest".into()),
            other => Some(format!("{other}/render")),
        }
    }

    /// The method that receives this type's UI events.
    pub fn event_method(&self) -> String {
        format!("{self}/event")
    }

    /// Whether this type's render answer is JSON-UI (the others answer config objects).
    pub fn renders_json_ui(&self) -> bool {
        !matches!(
            self,
            Self::McpTools | Self::SidebarIframe | Self::ChannelIntegration
        )
    }
}

impl From<&str> for CapabilityKind {
    fn from(s: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| Self::Other(s.to_string()))
    }
}

impl From<String> for CapabilityKind {
    fn from(s: String) -> Self {
        match Self::from(s.as_str()) {
            Self::Other(_) => Self::Other(s),
            known => known,
        }
    }
}

impl std::str::FromStr for CapabilityKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(s.into())
    }
}

impl fmt::Display for CapabilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CapabilityKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CapabilityKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Cow::<'de, str>::deserialize(deserializer)?.as_ref().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_strings_round_trip() {
        for kind in CapabilityKind::KNOWN {
            let wire = kind.to_string();
            assert_eq!(CapabilityKind::from(wire.as_str()), kind);
            assert_eq!(serde_json::to_value(&kind).unwrap(), json!(wire));
            assert_eq!(
                serde_json::from_value::<CapabilityKind>(json!(wire)).unwrap(),
                kind
            );
        }
        let odd: CapabilityKind = serde_json::from_value(json!("weird")).unwrap();
        assert_eq!(odd, CapabilityKind::Other("weird".into()));
        assert_eq!(odd.to_string(), "weird");
        assert!(!odd.is_known());
    }

    #[test]
    fn methods_by_capability() {
        use CapabilityKind::*;
        assert_eq!(
            VisitorPanel.render_method().as_deref(),
            Some("visitor_panel/render")
        );
        assert_eq!(
            SidebarIframe.render_method().as_deref(),
            Some("sidebar_iframe/config")
        );
        assert_eq!(
            ChannelIntegration.render_method().as_deref(),
            Some("channel_integration/manifest")
        );
        assert_eq!(McpTools.render_method(), None);
        assert_eq!(
            Other("weird".into()).render_method().as_deref(),
            Some("weird/render")
        );
        assert_eq!(ChatToolbar.event_method(), "chat_toolbar/event");
        assert!(ChatToolbar.renders_json_ui() && Other("x".into()).renders_json_ui());
        assert!(!McpTools.renders_json_ui() && !SidebarIframe.renders_json_ui());
    }
}
