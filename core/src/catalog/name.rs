//! The grammar of names as users type them: `users`, `public.users`,
//! `"MixedCase"`, `app."my table"`, lists like `users,posts`. See the
//! [module rules](super).

use std::fmt;

/// PostgreSQL cuts names to NAMEDATALEN − 1 bytes; a longer name typed by a
/// user means the relation whose name is its first 63 bytes.
pub const MAX_NAME_BYTES: usize = 63;

/// Why a name list could not be read. Every message shows the item as
/// typed and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// A `"` opened a name and nothing closed it.
    UnterminatedQuote {
        /// The item as given.
        input: String,
    },
    /// A part of the name is empty: `""`, `.users`, `app.`.
    EmptyName {
        /// The item as given.
        input: String,
        /// How a name of this kind is written.
        hint: &'static str,
    },
    /// More than `schema.table`.
    TooManyParts {
        /// The item as given.
        input: String,
    },
    /// A dot in a schema name given on its own (`--schemas my.schema`).
    SchemaWithDot {
        /// The item as given.
        input: String,
    },
    /// A quote in the middle of an unquoted name, or text right after a
    /// closing quote.
    MisplacedQuote {
        /// The item as given.
        input: String,
    },
    /// A NUL character, which no PostgreSQL name can contain.
    NulCharacter {
        /// `table name` or `schema name`.
        what: &'static str,
        /// The item as given, NUL included.
        input: String,
    },
}

impl NameError {
    /// The item as given.
    pub fn input(&self) -> &str {
        match self {
            NameError::UnterminatedQuote { input }
            | NameError::EmptyName { input, .. }
            | NameError::TooManyParts { input }
            | NameError::SchemaWithDot { input }
            | NameError::MisplacedQuote { input }
            | NameError::NulCharacter { input, .. } => input,
        }
    }

    /// What is wrong and how to write it, without the item: for callers
    /// whose own message already shows it.
    pub fn reason(&self) -> String {
        let (problem, advice) = self.parts();
        format!("{problem}: {advice}")
    }

    fn parts(&self) -> (&'static str, String) {
        match self {
            NameError::UnterminatedQuote { .. } => {
                ("unterminated quote", "close the name with \"".to_owned())
            }
            NameError::EmptyName { hint, .. } => ("empty name", (*hint).to_owned()),
            NameError::TooManyParts { .. } => (
                "too many dots",
                "write a table as table or schema.table \
                 (quote a name that contains a dot: \"my.table\")"
                    .to_owned(),
            ),
            NameError::SchemaWithDot { .. } => (
                "a dot in a schema name",
                "quote a schema name that contains a dot, e.g. \"my.schema\"".to_owned(),
            ),
            NameError::MisplacedQuote { .. } => (
                "misplaced quote",
                "quote a whole name part, as in app.\"My Table\" \
                 (write a quote inside a quoted name as \"\")"
                    .to_owned(),
            ),
            NameError::NulCharacter { what, .. } => (
                "invalid character NUL",
                format!("a {what} cannot contain it"),
            ),
        }
    }
}

/// `unterminated quote in "app.\"x": close the name with "`.
impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (problem, advice) = self.parts();
        write!(f, "{problem} in {:?}: {advice}", self.input())
    }
}

impl std::error::Error for NameError {}

/// Which kind of name a list holds: tables may be qualified, schemas not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Schema,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Table => "table name",
            Kind::Schema => "schema name",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Kind::Table => TABLE_HINT,
            Kind::Schema => "write a schema by its name, in double quotes if it holds a dot",
        }
    }
}

const TABLE_HINT: &str = "write a table as table or schema.table";

/// One part of a name, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    text: String,
    quoted: bool,
}

impl Identifier {
    /// A part written without quotes: exact when that spelling exists,
    /// else folded to lower case.
    pub fn unquoted(text: impl Into<String>) -> Identifier {
        Identifier {
            text: text.into(),
            quoted: false,
        }
    }

    /// A part written in double quotes (or given exactly by a program):
    /// looked up as is.
    pub fn quoted(text: impl Into<String>) -> Identifier {
        Identifier {
            text: text.into(),
            quoted: true,
        }
    }

    /// The text, quotes removed (`""` inside quotes already made `"`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when the part was written in double quotes.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// The catalog spellings this part may mean, preferred first.
    ///
    /// Quoted: the text exactly. Unquoted: the text exactly as typed, then,
    /// when different, with ASCII letters folded to lower case as SQL
    /// folds them (PostgreSQL leaves other letters alone in UTF-8
    /// databases). Both are cut to [`MAX_NAME_BYTES`], as the server cuts
    /// names.
    pub fn spellings(&self) -> Vec<String> {
        let exact = truncate_name(&self.text);
        if self.quoted {
            return vec![exact.to_owned()];
        }
        let folded = exact.to_ascii_lowercase();
        if folded == exact {
            vec![folded]
        } else {
            vec![exact.to_owned(), folded]
        }
    }

    /// How well `catalog_name` matches: `Some(0)` for the exact spelling,
    /// `Some(1)` for the folded one, `None` for no match.
    pub fn rank(&self, catalog_name: &str) -> Option<usize> {
        self.spellings().iter().position(|s| s == catalog_name)
    }
}

fn truncate_name(text: &str) -> &str {
    if text.len() <= MAX_NAME_BYTES {
        return text;
    }
    let mut end = MAX_NAME_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A table (or view, sequence...) name a user asked for: an optional
/// schema and a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    schema: Option<Identifier>,
    name: Identifier,
    input: String,
}

impl TableName {
    /// A name given exactly, without quoting rules (for programs that know
    /// the catalog spelling, e.g. an MCP client that read a table list).
    pub fn exact(schema: Option<&str>, name: &str) -> Result<TableName, NameError> {
        let input = match schema {
            Some(schema) => format!("{}.{}", quote_if_needed(schema), quote_if_needed(name)),
            None => quote_if_needed(name),
        };
        let parts = [schema, Some(name)];
        if parts.iter().flatten().any(|p| p.contains('\0')) {
            return Err(NameError::NulCharacter {
                what: "table name",
                input,
            });
        }
        if parts.iter().flatten().any(|p| p.is_empty()) {
            return Err(NameError::EmptyName {
                input,
                hint: TABLE_HINT,
            });
        }
        Ok(TableName {
            schema: schema.map(Identifier::quoted),
            name: Identifier::quoted(name),
            input,
        })
    }

    /// The schema part, when the name was qualified.
    pub fn schema(&self) -> Option<&Identifier> {
        self.schema.as_ref()
    }

    /// The table part.
    pub fn name(&self) -> &Identifier {
        &self.name
    }

    /// The name as the user wrote it (trimmed), for messages.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.input)
    }
}

/// Reads table names from command-line arguments (or MCP `tables` items).
///
/// Every argument may hold a comma-separated list: `users,posts` and
/// `users posts` (two arguments) mean the same. A name is `table` or
/// `schema.table`; each part is either
/// - unquoted: any text without `.` or `,`, surrounding whitespace
///   trimmed; spaces inside are kept, so `my table` works even after a
///   shell ate the quotes, and so is a `"` after the first character
///   (`we"ird`); no patterns (`*` is a star);
/// - quoted: `"..."`, where `""` stands for one `"` and `.` and `,` are
///   part of the name; nothing but a dot may follow the closing quote.
///
/// Empty list items (`users,,posts`, a trailing comma) are skipped; no
/// names at all means "every table".
pub fn parse_table_names(args: &[String]) -> Result<Vec<TableName>, NameError> {
    let mut names = Vec::new();
    for arg in args {
        for item in list_items(arg) {
            names.push(parse_item(item, Kind::Table)?);
        }
    }
    Ok(names)
}

/// Reads schema names (`--schemas`, MCP `schemas`) with the same grammar:
/// each item is one part, unquoted or quoted.
pub fn parse_schema_names(args: &[String]) -> Result<Vec<Identifier>, NameError> {
    let mut names = Vec::new();
    for arg in args {
        for item in list_items(arg) {
            let parsed = parse_item(item, Kind::Schema)?;
            if parsed.schema.is_some() {
                return Err(NameError::SchemaWithDot {
                    input: item.to_owned(),
                });
            }
            names.push(parsed.name);
        }
    }
    Ok(names)
}

/// The non-empty, trimmed items of a comma-separated list (commas inside
/// double quotes are part of a name).
fn list_items(arg: &str) -> impl Iterator<Item = &str> {
    let mut rest = arg;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let end = item_end(rest);
            let item = rest[..end].trim();
            rest = rest.get(end + 1..).unwrap_or("");
            if !item.is_empty() {
                return Some(item);
            }
        }
    })
}

/// Byte index of the comma that ends the first item, or the length when
/// there is none. A `"` opens a quoted part only at the start of a part
/// (after nothing but spaces, at the item's start or after a dot); inside
/// an unquoted part it is an ordinary character.
fn item_end(text: &str) -> usize {
    let mut in_quotes = false;
    let mut part_start = true;
    for (i, c) in text.char_indices() {
        match c {
            // `""` inside quotes closes and reopens: no change.
            '"' if in_quotes => in_quotes = false,
            '"' if part_start => {
                in_quotes = true;
                part_start = false;
            }
            ',' if !in_quotes => return i,
            '.' if !in_quotes => part_start = true,
            c if c.is_whitespace() => {}
            _ if !in_quotes => part_start = false,
            _ => {}
        }
    }
    text.len()
}

fn parse_item(item: &str, kind: Kind) -> Result<TableName, NameError> {
    let input = item.to_owned();
    let hint = kind.hint();
    if item.contains('\0') {
        return Err(NameError::NulCharacter {
            what: kind.what(),
            input,
        });
    }
    let mut parts = Vec::with_capacity(2);
    let mut chars = item.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let part = if chars.next_if(|&(_, c)| c == '"').is_some() {
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err(NameError::UnterminatedQuote { input }),
                    Some((_, '"')) => {
                        if chars.next_if(|&(_, c)| c == '"').is_some() {
                            text.push('"');
                        } else {
                            break;
                        }
                    }
                    Some((_, c)) => text.push(c),
                }
            }
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|&(_, c)| c != '.') {
                return Err(NameError::MisplacedQuote { input });
            }
            Identifier::quoted(text)
        } else {
            let mut text = String::new();
            while let Some((_, c)) = chars.next_if(|&(_, c)| c != '.') {
                text.push(c);
            }
            Identifier::unquoted(text.trim_end())
        };
        if part.text.is_empty() {
            return Err(NameError::EmptyName { input, hint });
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some(_dot) => {
                if parts.len() == 2 {
                    return Err(if kind == Kind::Schema {
                        NameError::SchemaWithDot { input }
                    } else {
                        NameError::TooManyParts { input }
                    });
                }
            }
        }
    }
    let name = parts.pop().ok_or(NameError::EmptyName {
        input: input.clone(),
        hint,
    })?;
    Ok(TableName {
        schema: parts.pop(),
        name,
        input,
    })
}

/// True when a name must be double-quoted in SQL to keep its spelling:
/// anything but a lower-case letter or `_` followed by lower-case letters,
/// digits, `_` and `$`. (Reserved words such as `user` also need quotes in
/// SQL; they are not detected here, which only affects how a name is shown.)
pub fn needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return true,
    }
    !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// `name` as SQL would need it typed: bare when possible, else in double
/// quotes with `"` doubled.
pub fn quote_if_needed(name: &str) -> String {
    if needs_quotes(name) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_owned()
    }
}

/// `schema.name` as SQL would need it typed, each part quoted when needed;
/// the schema is left out when `qualify` is false.
pub fn qualified_name(schema: &str, name: &str, qualify: bool) -> String {
    if qualify {
        format!("{}.{}", quote_if_needed(schema), quote_if_needed(name))
    } else {
        quote_if_needed(name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rstest::rstest;

    use super::*;

    fn names(args: &[&str]) -> Result<Vec<TableName>, NameError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_table_names(&args)
    }

    fn schemas(args: &[&str]) -> Result<Vec<Identifier>, NameError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_schema_names(&args)
    }

    /// (schema, quoted?), (name, quoted?) of each parsed name.
    type Parsed = (Option<(String, bool)>, (String, bool));

    fn parsed(args: &[&str]) -> Vec<Parsed> {
        names(args)
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n.schema().map(|s| (s.text().to_owned(), s.is_quoted())),
                    (n.name().text().to_owned(), n.name().is_quoted()),
                )
            })
            .collect()
    }

    fn p(schema: Option<(&str, bool)>, name: (&str, bool)) -> Parsed {
        (
            schema.map(|(s, q)| (s.to_owned(), q)),
            (name.0.to_owned(), name.1),
        )
    }

    #[rstest]
    #[case(&["users"], vec![p(None, ("users", false))])]
    #[case(&["public.users"], vec![p(Some(("public", false)), ("users", false))])]
    #[case(&["\"MixedCase\""], vec![p(None, ("MixedCase", true))])]
    #[case(&["app.\"my table\""], vec![p(Some(("app", false)), ("my table", true))])]
    #[case(&["Users"], vec![p(None, ("Users", false))])]
    #[case(&["users,posts"], vec![p(None, ("users", false)), p(None, ("posts", false))])]
    #[case(&["users", "posts"], vec![p(None, ("users", false)), p(None, ("posts", false))])]
    #[case(&[" users , posts ,"], vec![p(None, ("users", false)), p(None, ("posts", false))])]
    #[case(&["users,,posts"], vec![p(None, ("users", false)), p(None, ("posts", false))])]
    #[case(&["\"a,b\",c"], vec![p(None, ("a,b", true)), p(None, ("c", false))])]
    #[case(&["\"a.b\""], vec![p(None, ("a.b", true))])]
    #[case(&["\"x.y\".\"a,b\""], vec![p(Some(("x.y", true)), ("a,b", true))])]
    #[case(&["\"say \"\"hi\"\"\""], vec![p(None, ("say \"hi\"", true))])]
    #[case(&["my table"], vec![p(None, ("my table", false))])]
    #[case(&["app . \"T\" "], vec![p(Some(("app", false)), ("T", true))])]
    #[case(&["\"Grüße\".日本"], vec![p(Some(("Grüße", true)), ("日本", false))])]
    #[case(&[], vec![])]
    #[case(&["", " , "], vec![])]
    // A quote after the first character of an unquoted part is a character.
    #[case(&["we\"ird,users"], vec![p(None, ("we\"ird", false)), p(None, ("users", false))])]
    #[case(&["ab\"c\""], vec![p(None, ("ab\"c\"", false))])]
    #[case(&["a\"b.c"], vec![p(Some(("a\"b", false)), ("c", false))])]
    #[case(&["app. \"x,y\",z"], vec![p(Some(("app", false)), ("x,y", true)), p(None, ("z", false))])]
    #[case(&["star*?"], vec![p(None, ("star*?", false))])]
    #[case(&["\" padded \""], vec![p(None, (" padded ", true))])]
    #[case(&["\"we.ird\".\"x\"\"y.z\""], vec![p(Some(("we.ird", true)), ("x\"y.z", true))])]
    fn parses_names(#[case] args: &[&str], #[case] expected: Vec<Parsed>) {
        assert_eq!(parsed(args), expected);
    }

    #[rstest]
    #[case(
        "app.\"x",
        "unterminated quote in \"app.\\\"x\": close the name with \""
    )]
    #[case(
        "\"users",
        "unterminated quote in \"\\\"users\": close the name with \""
    )]
    #[case("\"a,b", "unterminated quote in \"\\\"a,b\": close the name with \"")]
    #[case(
        "a.b.c",
        "too many dots in \"a.b.c\": write a table as table or schema.table (quote a name that contains a dot: \"my.table\")"
    )]
    #[case(
        ".users",
        "empty name in \".users\": write a table as table or schema.table"
    )]
    #[case(
        "app.",
        "empty name in \"app.\": write a table as table or schema.table"
    )]
    #[case(
        "\"\"",
        "empty name in \"\\\"\\\"\": write a table as table or schema.table"
    )]
    #[case(
        "\"ab\"c",
        "misplaced quote in \"\\\"ab\\\"c\": quote a whole name part, as in app.\"My Table\" (write a quote inside a quoted name as \"\")"
    )]
    #[case(
        "a\0b",
        "invalid character NUL in \"a\\0b\": a table name cannot contain it"
    )]
    fn rejects_malformed_names(#[case] arg: &str, #[case] message: &str) {
        assert_eq!(names(&[arg]).unwrap_err().to_string(), message);
    }

    #[rstest]
    #[case("users", &["users"])]
    #[case("Users", &["Users", "users"])]
    #[case("\"Users\"", &["Users"])]
    #[case("ÄBC", &["ÄBC", "Äbc"])]
    fn spellings(#[case] arg: &str, #[case] expected: &[&str]) {
        assert_eq!(names(&[arg]).unwrap()[0].name().spellings(), expected);
    }

    #[test]
    fn long_names_are_cut_like_the_server_cuts_them() {
        let long = "é".repeat(40); // 80 bytes
        let spelled = names(&[&format!("\"{long}\"")]).unwrap()[0]
            .name()
            .spellings();
        assert_eq!(spelled, ["é".repeat(31)]); // 62 bytes: no half character
    }

    #[test]
    fn exact_names() {
        let name = TableName::exact(Some("app"), "My Table").unwrap();
        assert_eq!(name.input(), "app.\"My Table\"");
        assert_eq!(name.name().spellings(), ["My Table"]);
        assert!(matches!(
            TableName::exact(None, "a\0"),
            Err(NameError::NulCharacter { .. })
        ));
        assert!(matches!(
            TableName::exact(Some(""), "a"),
            Err(NameError::EmptyName { .. })
        ));
    }

    #[rstest]
    #[case(&["app"], &[("app", false)])]
    #[case(&["app, \"We.ird\",public"], &[("app", false), ("We.ird", true), ("public", false)])]
    #[case(&["App", "\"App\""], &[("App", false), ("App", true)])]
    #[case(&[" , "], &[])]
    fn parses_schema_names(#[case] args: &[&str], #[case] expected: &[(&str, bool)]) {
        let got: Vec<(String, bool)> = schemas(args)
            .unwrap()
            .iter()
            .map(|s| (s.text().to_owned(), s.is_quoted()))
            .collect();
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(s, q)| (s.to_string(), *q)).collect();
        assert_eq!(got, expected);
    }

    #[rstest]
    #[case(
        "my.schema",
        "a dot in a schema name in \"my.schema\": quote a schema name that contains a dot, e.g. \"my.schema\""
    )]
    #[case(
        "\"\"",
        "empty name in \"\\\"\\\"\": write a schema by its name, in double quotes if it holds a dot"
    )]
    #[case(
        "a\0",
        "invalid character NUL in \"a\\0\": a schema name cannot contain it"
    )]
    fn rejects_malformed_schema_names(#[case] arg: &str, #[case] message: &str) {
        assert_eq!(schemas(&[arg]).unwrap_err().to_string(), message);
    }

    #[rstest]
    #[case("\"open", "unterminated quote: close the name with \"")]
    #[case(
        "a.b.c",
        "too many dots: write a table as table or schema.table (quote a name that contains a dot: \"my.table\")"
    )]
    fn reasons_leave_the_input_out(#[case] arg: &str, #[case] reason: &str) {
        let e = names(&[arg]).unwrap_err();
        assert_eq!(e.input(), arg);
        assert_eq!(e.reason(), reason);
    }

    #[test]
    fn rank_prefers_the_exact_spelling() {
        let typed = Identifier::unquoted("Users");
        assert_eq!(typed.rank("Users"), Some(0));
        assert_eq!(typed.rank("users"), Some(1));
        assert_eq!(typed.rank("USERS"), None);
        assert_eq!(Identifier::quoted("Users").rank("users"), None);
    }
}
