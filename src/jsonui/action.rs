//! The typed JSON-ACTION model: what a plugin asks the host to do after an event.

use serde_json::Value;

use super::model::{LinkTarget, Node, protocol_enum};

protocol_enum! {
    /// `send_message.content_type`.
    ContentType { Text = "text", Markdown = "markdown" }
}

protocol_enum! {
    /// `show_toast.type`.
    ToastKind { Success = "success", Error = "error", Warning = "warning", Info = "info" }
}

/// Every action name the model knows, in PROTOCOL.md order.
pub const KNOWN_ACTIONS: &[&str] = &[
    "open_url",
    "insert_text",
    "send_message",
    "show_toast",
    "copy_text",
    "refresh",
    "close_modal",
    "show_modal",
    "batch",
    "noop",
];

/// One JSON-ACTION value: `{"action": NAME, "data": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `open_url`: open a URL.
    OpenUrl {
        /// The URL.
        url: String,
        /// Where it opens.
        target: Option<LinkTarget>,
    },
    /// `insert_text`: put text into the agent's message box.
    InsertText {
        /// The text.
        text: String,
        /// Replace what is there instead of inserting.
        replace: bool,
    },
    /// `send_message`: send a chat message.
    SendMessage {
        /// The message.
        content: String,
        /// `text` when absent.
        content_type: ContentType,
    },
    /// `show_toast`: a short notification.
    ShowToast {
        /// The text.
        message: String,
        /// `type`; `info` when absent.
        kind: ToastKind,
        /// `duration`, in milliseconds.
        duration_ms: Option<u64>,
    },
    /// `copy_text`: put text on the clipboard.
    CopyText {
        /// The text.
        text: String,
    },
    /// `refresh`: render the panel again.
    Refresh,
    /// `close_modal`: close the open modal.
    CloseModal,
    /// `show_modal`: open a modal showing a nested JSON-UI.
    ShowModal {
        /// Modal heading.
        title: Option<String>,
        /// The JSON-UI from the action's `template` and `data`.
        content: Box<Node>,
    },
    /// `batch`: several actions, run in order.
    Batch(Vec<Action>),
    /// `noop`: nothing to do.
    Noop,
    /// An action this console does not know; kept with its raw JSON.
    Unknown {
        /// The action name as sent.
        name: String,
        /// The whole `{action, data}` value.
        raw: Value,
    },
    /// A value that is not even `{action, data}` (or is nested too deep).
    Invalid {
        /// The value as sent.
        raw: Value,
    },
}

impl Action {
    /// The action name this came from (`""` for [`Action::Invalid`]).
    pub fn name(&self) -> &str {
        match self {
            Action::OpenUrl { .. } => "open_url",
            Action::InsertText { .. } => "insert_text",
            Action::SendMessage { .. } => "send_message",
            Action::ShowToast { .. } => "show_toast",
            Action::CopyText { .. } => "copy_text",
            Action::Refresh => "refresh",
            Action::CloseModal => "close_modal",
            Action::ShowModal { .. } => "show_modal",
            Action::Batch(_) => "batch",
            Action::Noop => "noop",
            Action::Unknown { name, .. } => name,
            Action::Invalid { .. } => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_every_known_action() {
        let all = [
            Action::OpenUrl {
                url: String::new(),
                target: None,
            },
            Action::InsertText {
                text: String::new(),
                replace: false,
            },
            Action::SendMessage {
                content: String::new(),
                content_type: ContentType::Text,
            },
            Action::ShowToast {
                message: String::new(),
                kind: ToastKind::Info,
                duration_ms: None,
            },
            Action::CopyText {
                text: String::new(),
            },
            Action::Refresh,
            Action::CloseModal,
            Action::ShowModal {
                title: None,
                content: Box::new(Node::Invalid { raw: Value::Null }),
            },
            Action::Batch(vec![]),
            Action::Noop,
        ];
        let names: Vec<&str> = all.iter().map(Action::name).collect();
        assert_eq!(names, KNOWN_ACTIONS);
    }
}
