//! The typed JSON-UI model: one variant per template, every field PROTOCOL.md lists.
//!
//! Strings are kept exactly as the plugin sent them (control characters included): a renderer
//! escapes them with `crate::text` when it draws, and the validator has already warned.
//! Enumerations keep values they do not know in an `Other` variant rather than losing them.

use serde_json::Value;

/// Implemented by every protocol string enumeration, so the parser can read them generically.
pub(crate) trait ProtocolEnum: Sized {
    /// Every value the protocol defines.
    const KNOWN: &'static [&'static str];
    /// Maps a protocol string to its variant, `Other` when unknown.
    fn from_protocol(s: &str) -> Self;
    /// True for the `Other` fallback.
    fn is_other(&self) -> bool;
}

/// Declares a protocol string enumeration with an `Other(String)` fallback.
macro_rules! protocol_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )+
            /// A value the protocol does not define, kept as sent.
            Other(String),
        }

        impl $name {
            /// The protocol string for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl $crate::jsonui::model::ProtocolEnum for $name {
            const KNOWN: &'static [&'static str] = &[$($text),+];
            fn from_protocol(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }
            fn is_other(&self) -> bool {
                matches!(self, Self::Other(_))
            }
        }
    };
}
pub(crate) use protocol_enum;

/// One JSON-UI value: `{"template": NAME, "data": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `text`.
    Text(Text),
    /// `key_value`.
    KeyValue(KeyValue),
    /// `table`.
    Table(Table),
    /// `button`.
    Button(Button),
    /// `action`: a bar of buttons (the quickstart's form).
    Action(ActionBar),
    /// `group`.
    Group(Group),
    /// `tabs`.
    Tabs(Tabs),
    /// `form`.
    Form(Form),
    /// `card`.
    Card(Card),
    /// `cards`.
    Cards(Cards),
    /// `link`.
    Link(Link),
    /// `links`.
    Links(Links),
    /// `markdown`.
    Markdown(Markdown),
    /// `list`.
    List(List),
    /// `timeline`.
    Timeline(Timeline),
    /// `stats`.
    Stats(Stats),
    /// `empty`.
    Empty(Empty),
    /// `loading`.
    Loading(Loading),
    /// A template this console does not know; kept so it can be shown with its raw JSON.
    Unknown {
        /// The template name as sent.
        name: String,
        /// The whole `{template, data}` value.
        raw: Value,
    },
    /// A value that is not even `{template, data}` (or is nested too deep); shown as raw JSON.
    Invalid {
        /// The value as sent.
        raw: Value,
    },
}

impl Node {
    /// The template name this node came from (`""` for [`Node::Invalid`]).
    pub fn template_name(&self) -> &str {
        match self {
            Node::Text(_) => "text",
            Node::KeyValue(_) => "key_value",
            Node::Table(_) => "table",
            Node::Button(_) => "button",
            Node::Action(_) => "action",
            Node::Group(_) => "group",
            Node::Tabs(_) => "tabs",
            Node::Form(_) => "form",
            Node::Card(_) => "card",
            Node::Cards(_) => "cards",
            Node::Link(_) => "link",
            Node::Links(_) => "links",
            Node::Markdown(_) => "markdown",
            Node::List(_) => "list",
            Node::Timeline(_) => "timeline",
            Node::Stats(_) => "stats",
            Node::Empty(_) => "empty",
            Node::Loading(_) => "loading",
            Node::Unknown { name, .. } => name,
            Node::Invalid { .. } => "",
        }
    }
}

/// Every template name the model knows, in PROTOCOL.md order.
pub const KNOWN_TEMPLATES: &[&str] = &[
    "text",
    "key_value",
    "table",
    "button",
    "action",
    "group",
    "tabs",
    "form",
    "card",
    "cards",
    "link",
    "links",
    "markdown",
    "list",
    "timeline",
    "stats",
    "empty",
    "loading",
];

protocol_enum! {
    /// `text.type`: the tone of a text.
    TextType { Default = "default", Info = "info", Success = "success", Warning = "warning", Error = "error" }
}

protocol_enum! {
    /// `text.size`.
    TextSize { Sm = "sm", Base = "base", Lg = "lg", Xl = "xl" }
}

protocol_enum! {
    /// `key_value.items[].type`: how a value is formatted.
    ValueType {
        Text = "text",
        Date = "date",
        Datetime = "datetime",
        Currency = "currency",
        Badge = "badge",
        Link = "link",
    }
}

protocol_enum! {
    /// `table.columns[].align`.
    Align { Left = "left", Center = "center", Right = "right" }
}

protocol_enum! {
    /// `table.columns[].type`: how a column's cells are formatted.
    ColumnType { Text = "text", Badge = "badge", Link = "link", Date = "date", Datetime = "datetime" }
}

protocol_enum! {
    /// `button.type`.
    ButtonType { Primary = "primary", Secondary = "secondary", Danger = "danger", Link = "link" }
}

protocol_enum! {
    /// `type` of a button in an `action` bar or a card's `actions`.
    ActionButtonType { Primary = "primary", Default = "default", Danger = "danger", Ghost = "ghost" }
}

protocol_enum! {
    /// `group.layout`.
    GroupLayout { Vertical = "vertical", Horizontal = "horizontal" }
}

protocol_enum! {
    /// `form.fields[].type`.
    FieldType {
        Text = "text",
        Textarea = "textarea",
        Number = "number",
        Select = "select",
        Radio = "radio",
        Checkbox = "checkbox",
        Date = "date",
        Datetime = "datetime",
        Switch = "switch",
        Hidden = "hidden",
    }
}

protocol_enum! {
    /// `cards.layout`.
    CardsLayout { Grid = "grid", List = "list" }
}

protocol_enum! {
    /// Where a link (or `open_url`) opens.
    LinkTarget { Blank = "_blank", SelfFrame = "_self" }
}

protocol_enum! {
    /// `timeline.items[].status`.
    TimelineStatus {
        Success = "success",
        Info = "info",
        Warning = "warning",
        Error = "error",
        Default = "default",
    }
}

/// Cell colours a table understands; others are kept but warned about.
pub const CELL_COLORS: &[&str] = &["green", "orange", "red", "blue", "gray"];

/// `text`: a line or paragraph of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// The text.
    pub text: String,
    /// `type`; `default` when absent.
    pub kind: TextType,
    /// Offer a copy button.
    pub copyable: bool,
    /// `size`.
    pub size: Option<TextSize>,
    /// Bold.
    pub bold: bool,
    /// A colour (CSS colour as sent).
    pub color: Option<String>,
}

/// `key_value`: label/value pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    /// Heading.
    pub title: Option<String>,
    /// The pairs, in order.
    pub items: Vec<KeyValueItem>,
}

/// One `key_value` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValueItem {
    /// The label.
    pub label: String,
    /// The value's display text (numbers and booleans are shown as written).
    pub value: String,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Hex colour.
    pub color: Option<String>,
    /// `type`: how the value is formatted.
    pub kind: Option<ValueType>,
    /// URL the value links to.
    pub link: Option<String>,
    /// Offer a copy button.
    pub copyable: bool,
}

/// `table`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Heading.
    pub title: Option<String>,
    /// Columns, in display order.
    pub columns: Vec<Column>,
    /// Rows, each aligned to `columns`.
    pub rows: Vec<Row>,
    /// Paging information, shown as sent (the protocol defines no paging event).
    pub pagination: Option<Pagination>,
    /// `action_id` sent with `item_select` when a row is clicked.
    pub row_click_action: Option<String>,
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The row field this column shows.
    pub key: String,
    /// Header text (the key when the plugin gave none).
    pub label: String,
    /// Width as sent (`120` or `"20%"`).
    pub width: Option<String>,
    /// Alignment.
    pub align: Option<Align>,
    /// How cells are formatted.
    pub kind: Option<ColumnType>,
}

/// A table row: one cell per column, plus the id used when it is selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Cells, `cells[i]` belongs to `columns[i]`; missing values are empty cells.
    pub cells: Vec<Cell>,
    /// The row's `id` (or else `key`) field, sent as `selected_id`.
    pub row_id: Option<String>,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    /// Display text.
    pub text: String,
    /// Badge colour (`green/orange/red/blue/gray`), from a `{text, color}` cell.
    pub color: Option<String>,
}

/// `table.pagination`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pagination {
    /// Total number of rows.
    pub total: Option<u64>,
    /// Current page.
    pub page: Option<u64>,
    /// Rows per page.
    pub page_size: Option<u64>,
}

/// `button`: one button that sends `button_click` with its `action_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    /// Caption.
    pub label: String,
    /// Sent as `action_id`.
    pub action_id: String,
    /// `type`.
    pub kind: Option<ButtonType>,
    /// Size as sent.
    pub size: Option<String>,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Greyed out, not pressable.
    pub disabled: bool,
}

/// `action`: a bar of buttons, each sending its `id` as `action_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionBar {
    /// The buttons, in order.
    pub buttons: Vec<ActionButton>,
}

/// A button of an `action` bar or of a card's `actions`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionButton {
    /// Sent as `action_id`.
    pub id: String,
    /// Caption.
    pub label: String,
    /// `type`.
    pub kind: Option<ActionButtonType>,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Size as sent.
    pub size: Option<String>,
    /// Greyed out, not pressable.
    pub disabled: bool,
    /// Text of a confirmation asked before sending.
    pub confirm: Option<String>,
    /// Shows a spinner (and is not pressable meanwhile).
    pub loading: bool,
}

/// `group`: templates stacked together.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Children, in display order.
    pub items: Vec<Node>,
    /// `vertical` when absent.
    pub layout: GroupLayout,
}

/// `tabs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabs {
    /// The tabs, in order.
    pub items: Vec<Tab>,
    /// Key of the tab shown first.
    pub default_tab: Option<String>,
}

/// One tab.
#[derive(Debug, Clone, PartialEq)]
pub struct Tab {
    /// Identifies the tab (`default_tab` refers to it).
    pub key: String,
    /// Caption (the key when the plugin gave none).
    pub label: String,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// What the tab shows.
    pub content: Node,
}

/// `form`: fields submitted with `form_submit`.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Heading.
    pub title: Option<String>,
    /// Fields, in order; names are unique (duplicates are reported).
    pub fields: Vec<FormField>,
    /// Submit button caption.
    pub submit_text: Option<String>,
    /// Cancel button caption.
    pub cancel_text: Option<String>,
    /// Sent as `action_id` on submit (`"submit"` when absent).
    pub action_id: Option<String>,
}

/// One form field.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// Key in `form_data`.
    pub name: String,
    /// Caption.
    pub label: Option<String>,
    /// `type`; `text` when absent.
    pub kind: FieldType,
    /// Must be filled in before submitting.
    pub required: bool,
    /// Hint shown in an empty field.
    pub placeholder: Option<String>,
    /// Initial value, as sent (any JSON).
    pub default: Option<Value>,
    /// Choices for select/radio/checkbox.
    pub options: Vec<FormOption>,
    /// Visible lines of a textarea.
    pub rows: Option<u64>,
}

/// A choice of a select/radio/checkbox field.
#[derive(Debug, Clone, PartialEq)]
pub struct FormOption {
    /// The value submitted, as text (numbers as written).
    pub value: String,
    /// Caption (the value when the plugin gave none).
    pub label: String,
}

/// `card`.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Heading.
    pub title: Option<String>,
    /// Sub-heading.
    pub subtitle: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// Label/value lines.
    pub fields: Vec<CardField>,
    /// Coloured tags.
    pub tags: Vec<Tag>,
    /// Buttons, each sending its `id` as `action_id`.
    pub actions: Vec<ActionButton>,
    /// Footer text.
    pub footer: Option<String>,
}

/// A card's label/value line.
#[derive(Debug, Clone, PartialEq)]
pub struct CardField {
    /// The label.
    pub label: String,
    /// The value's display text.
    pub value: String,
    /// Emphasised.
    pub highlight: bool,
}

/// A coloured tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// The text.
    pub text: String,
    /// Colour as sent.
    pub color: Option<String>,
}

/// `cards`: a grid or list of selectable items.
#[derive(Debug, Clone, PartialEq)]
pub struct Cards {
    /// Heading.
    pub title: Option<String>,
    /// `grid` or `list`.
    pub layout: Option<CardsLayout>,
    /// The items.
    pub items: Vec<CardsItem>,
    /// `action_id` sent with `item_select` when an item is clicked.
    pub item_click_action: Option<String>,
}

/// One `cards` item.
#[derive(Debug, Clone, PartialEq)]
pub struct CardsItem {
    /// Sent as `selected_id`; items without one cannot be selected.
    pub id: Option<String>,
    /// Heading.
    pub title: String,
    /// Image URL.
    pub image: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Price's display text.
    pub price: Option<String>,
}

/// `link`.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Caption (the URL when the plugin gave none).
    pub text: String,
    /// Target URL.
    pub url: String,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Where it opens.
    pub target: Option<LinkTarget>,
    /// Text under the link.
    pub description: Option<String>,
}

/// `links`: a list of links.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    /// Heading.
    pub title: Option<String>,
    /// The links.
    pub items: Vec<LinkItem>,
}

/// One link of `links`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkItem {
    /// Caption (the URL when the plugin gave none).
    pub text: String,
    /// Target URL.
    pub url: String,
    /// Lucide icon name.
    pub icon: Option<String>,
}

/// `markdown`.
#[derive(Debug, Clone, PartialEq)]
pub struct Markdown {
    /// Markdown source.
    pub content: String,
    /// Maximum height as sent (`300` or `"300px"`).
    pub max_height: Option<String>,
}

/// `list`: either rich items (`title/description/time/icon`) or simple ones (`id/text`).
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// Heading.
    pub title: Option<String>,
    /// The items.
    pub items: Vec<ListItem>,
    /// Offer a search box.
    pub searchable: bool,
    /// Offer a "more" button.
    pub show_more: bool,
    /// `action_id` sent by the "more" button.
    pub more_action: Option<String>,
}

/// One list item; both protocol shapes fit, so mixed shapes are kept too.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    /// Sent as `selected_id`; items without one cannot be selected.
    pub id: Option<String>,
    /// Heading (rich shape).
    pub title: Option<String>,
    /// Text (simple shape).
    pub text: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Time's display text.
    pub time: Option<String>,
    /// Lucide icon name.
    pub icon: Option<String>,
}

impl ListItem {
    /// What to show as the item's main line: `title`, else `text`, else `""`.
    pub fn caption(&self) -> &str {
        self.title.as_deref().or(self.text.as_deref()).unwrap_or("")
    }
}

/// `timeline`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Heading.
    pub title: Option<String>,
    /// Events, in order.
    pub items: Vec<TimelineItem>,
}

/// One timeline event.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineItem {
    /// Time's display text.
    pub time: Option<String>,
    /// Heading.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// `default` when absent.
    pub status: TimelineStatus,
}

/// `stats`: figures with labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// The figures.
    pub items: Vec<StatItem>,
}

/// One figure.
#[derive(Debug, Clone, PartialEq)]
pub struct StatItem {
    /// The label.
    pub label: String,
    /// The figure's display text.
    pub value: String,
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Trend's display text (e.g. `+12%`).
    pub trend: Option<String>,
    /// Trend direction as sent (e.g. `up`).
    pub trend_type: Option<String>,
    /// Colour as sent.
    pub color: Option<String>,
}

/// `empty`: an empty-state placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Empty {
    /// Lucide icon name.
    pub icon: Option<String>,
    /// Heading.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// An optional button.
    pub action: Option<EmptyAction>,
}

/// The button of an `empty` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct EmptyAction {
    /// Sent as `action_id`.
    pub id: String,
    /// Caption.
    pub label: String,
}

/// `loading`.
#[derive(Debug, Clone, PartialEq)]
pub struct Loading {
    /// Text next to the spinner.
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_keep_unknown_values() {
        assert_eq!(TextType::from_protocol("info"), TextType::Info);
        assert_eq!(TextType::Info.as_str(), "info");
        let odd = TextType::from_protocol("fancy");
        assert!(odd.is_other());
        assert_eq!(odd.as_str(), "fancy");
        assert_eq!(LinkTarget::from_protocol("_self"), LinkTarget::SelfFrame);
        assert_eq!(FieldType::KNOWN.len(), 10);
    }

    #[test]
    fn known_templates_match_template_names() {
        assert_eq!(KNOWN_TEMPLATES.len(), 18);
        let unknown = Node::Unknown {
            name: "chart".into(),
            raw: Value::Null,
        };
        assert_eq!(unknown.template_name(), "chart");
        assert_eq!(
            Node::Loading(Loading { text: None }).template_name(),
            "loading"
        );
    }
}
