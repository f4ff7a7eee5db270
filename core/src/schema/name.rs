//! Table names as users type them: `users`, `public.users`, `"MixedCase"`,
//! `app."my table"`, lists like `users,posts`.

use std::fmt;

use super::error::SchemaError;

/// PostgreSQL truncates names to NAMEDATALEN − 1 bytes.
const MAX_NAME_BYTES: usize = 63;

/// One part of a table name, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    text: String,
    quoted: bool,
}

impl Identifier {
    /// A part written without quotes: looked up folded to lower case first.
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

    /// The spellings to look up, preferred first.
    ///
    /// Quoted: the text exactly. Unquoted: the text with ASCII letters
    /// folded to lower case, as SQL folds it (PostgreSQL leaves non-ASCII
    /// letters alone in UTF-8 databases), then, when different, the text
    /// exactly as typed, so that `MyTable` finds a table created as
    /// `"MyTable"` when no `mytable` exists. Both are cut to 63 bytes, as
    /// the server cuts names.
    pub fn spellings(&self) -> Vec<String> {
        let exact = truncate_name(&self.text);
        if self.quoted {
            return vec![exact.to_owned()];
        }
        let folded = exact.to_ascii_lowercase();
        if folded == exact {
            vec![folded]
        } else {
            vec![folded, exact.to_owned()]
        }
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

/// A table (or view) name a user asked for: an optional schema and a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    schema: Option<Identifier>,
    name: Identifier,
    input: String,
}

impl TableName {
    /// A name given exactly, without quoting rules (for programs that know
    /// the catalog spelling, e.g. an MCP client that read a table list).
    pub fn exact(schema: Option<&str>, name: &str) -> Result<TableName, SchemaError> {
        let input = match schema {
            Some(schema) => format!("{}.{}", quote_if_needed(schema), quote_if_needed(name)),
            None => quote_if_needed(name),
        };
        let parts = [schema, Some(name)];
        if parts.iter().flatten().any(|p| p.contains('\0')) {
            return Err(SchemaError::NulCharacter { input });
        }
        if parts.iter().flatten().any(|p| p.is_empty()) {
            return Err(SchemaError::EmptyName { input });
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
/// - unquoted: any text without `.`, `,` or `"`, surrounding whitespace
///   trimmed, looked up folded to lower case first and then as typed (see
///   [`Identifier::spellings`]), so `Users` finds `users` like SQL does and
///   still finds a table created as `"Users"` when there is no `users`;
///   spaces are kept, so `my table` works even after a shell ate the quotes;
/// - quoted: `"..."`, exact, where `""` stands for one `"` and `.` and `,`
///   are part of the name.
///
/// Empty list items (`users,,posts`, a trailing comma) are skipped; no
/// names at all means "every table".
pub fn parse_table_names(args: &[String]) -> Result<Vec<TableName>, SchemaError> {
    let mut names = Vec::new();
    for arg in args {
        parse_list(arg, &mut names)?;
    }
    Ok(names)
}

fn parse_list(arg: &str, names: &mut Vec<TableName>) -> Result<(), SchemaError> {
    let mut rest = arg;
    while !rest.is_empty() {
        let end = item_end(rest);
        let item = rest[..end].trim();
        if !item.is_empty() {
            names.push(parse_item(item)?);
        }
        rest = rest.get(end + 1..).unwrap_or("");
    }
    Ok(())
}

/// Byte index of the comma that ends the first item (quotes respected), or
/// the length when there is none.
fn item_end(text: &str) -> usize {
    let mut in_quotes = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes, // `""` toggles twice: no change
            ',' if !in_quotes => return i,
            _ => {}
        }
    }
    text.len()
}

fn parse_item(item: &str) -> Result<TableName, SchemaError> {
    let input = item.to_owned();
    if item.contains('\0') {
        return Err(SchemaError::NulCharacter { input });
    }
    let mut parts = Vec::with_capacity(2);
    let mut chars = item.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let part = if chars.next_if(|&(_, c)| c == '"').is_some() {
            let mut text = String::new();
            loop {
                match chars.next() {
                    None => return Err(SchemaError::UnterminatedQuote { input }),
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
                return Err(SchemaError::MisplacedQuote { input });
            }
            Identifier::quoted(text)
        } else {
            let mut text = String::new();
            while let Some((_, c)) = chars.next_if(|&(_, c)| c != '.') {
                if c == '"' {
                    return Err(SchemaError::MisplacedQuote { input });
                }
                text.push(c);
            }
            Identifier::unquoted(text.trim_end())
        };
        if part.text.is_empty() {
            return Err(SchemaError::EmptyName { input });
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some(_dot) => {
                if parts.len() == 2 {
                    return Err(SchemaError::TooManyParts { input });
                }
            }
        }
    }
    let name = parts.pop().ok_or(SchemaError::EmptyName {
        input: input.clone(),
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
