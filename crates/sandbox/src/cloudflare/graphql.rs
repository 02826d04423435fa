//! A small reader of GraphQL documents, enough for the queries sent to Cloudflare's
//! GraphQL Analytics API: one operation (`query Name($v: Type!, …) { … }` or an
//! anonymous `{ … }`), fields with aliases, arguments and selections, and argument
//! values that are variables, strings, integers, enums, lists and input objects.
//! Fragments, directives, block strings, floats and mutations are refused with a
//! message (the sandbox has no use for them), never guessed at.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Var(String),
    Str(String),
    Int(i64),
    /// A bare name: an enum value, `true`, `false` or `null`.
    Enum(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Vec<(String, Value)>,
    pub selection: Vec<Field>,
}

impl Field {
    /// The key the answer uses: the alias if there is one.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
    #[cfg(test)]
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarDef {
    pub name: String,
    /// As written, e.g. `[string!]` or `Date!`.
    pub ty: String,
    /// The outermost type is non-null (`…!`).
    pub required: bool,
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub name: Option<String>,
    pub vars: Vec<VarDef>,
    pub selection: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Punct(char),
    Spread,
    Name(String),
    Str(String),
    Int(i64),
}

fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            // Commas are insignificant in GraphQL, like white space.
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | '!' | '=' | '$' => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            '@' => return Err("directives are not supported".into()),
            '.' => {
                if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    out.push(Tok::Spread);
                    i += 3;
                } else {
                    return Err("unexpected \".\"".into());
                }
            }
            '"' => {
                if chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    return Err("block strings are not supported".into());
                }
                let (s, next) = string_at(&chars, i + 1)?;
                out.push(Tok::Str(s));
                i = next;
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i < chars.len() && matches!(chars[i], '.' | 'e' | 'E') {
                    return Err("floating-point values are not supported".into());
                }
                let text: String = chars[start..i].iter().collect();
                let n = text
                    .parse::<i64>()
                    .map_err(|_| format!("invalid number {text}"))?;
                out.push(Tok::Int(n));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                out.push(Tok::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

/// A string literal's contents from just after its opening quote; returns the index
/// after the closing quote.
fn string_at(chars: &[char], mut i: usize) -> Result<(String, usize), String> {
    let mut s = String::new();
    loop {
        match chars.get(i) {
            None | Some('\n') => return Err("unterminated string".into()),
            Some('"') => return Ok((s, i + 1)),
            Some('\\') => {
                let e = chars.get(i + 1).copied().ok_or("unterminated string")?;
                match e {
                    '"' | '\\' | '/' => s.push(e),
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.get(i + 2..i + 6).unwrap_or(&[]).iter().collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or("invalid \\u escape")?;
                        s.push(code);
                        i += 4;
                    }
                    other => return Err(format!("invalid escape \\{other}")),
                }
                i += 2;
            }
            Some(c) => {
                s.push(*c);
                i += 1;
            }
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn at(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }
    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            other => Err(format!(
                "expected \"{c}\", found {}",
                describe(other.as_ref())
            )),
        }
    }
    fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Name(n)) => Ok(n),
            other => Err(format!(
                "expected a name, found {}",
                describe(other.as_ref())
            )),
        }
    }

    fn operation(&mut self) -> Result<Operation, String> {
        let mut op = Operation {
            name: None,
            vars: Vec::new(),
            selection: Vec::new(),
        };
        match self.peek() {
            Some(Tok::Name(n)) if n == "query" => {
                self.pos += 1;
                if let Some(Tok::Name(_)) = self.peek() {
                    op.name = Some(self.name()?);
                }
                if self.at('(') {
                    op.vars = self.var_defs()?;
                }
            }
            Some(Tok::Name(n)) if n == "mutation" || n == "subscription" => {
                return Err(format!("{n} operations are not supported"));
            }
            Some(Tok::Name(n)) if n == "fragment" => {
                return Err("fragments are not supported".into());
            }
            _ => {}
        }
        op.selection = self.selection_set()?;
        if let Some(t) = self.peek() {
            return Err(format!(
                "only one operation per document is supported, found {} after it",
                describe(Some(t))
            ));
        }
        Ok(op)
    }

    fn var_defs(&mut self) -> Result<Vec<VarDef>, String> {
        self.expect('(')?;
        let mut vars = Vec::new();
        while !self.at(')') {
            self.expect('$')?;
            let name = self.name()?;
            self.expect(':')?;
            let (ty, required) = self.type_ref()?;
            let default = if self.at('=') {
                self.pos += 1;
                Some(self.value()?)
            } else {
                None
            };
            vars.push(VarDef {
                name,
                ty,
                required,
                default,
            });
        }
        self.expect(')')?;
        Ok(vars)
    }

    fn type_ref(&mut self) -> Result<(String, bool), String> {
        let mut ty = if self.at('[') {
            self.pos += 1;
            let (inner, _) = self.type_ref()?;
            self.expect(']')?;
            format!("[{inner}]")
        } else {
            self.name()?
        };
        let required = self.at('!');
        if required {
            self.pos += 1;
            ty.push('!');
        }
        Ok((ty, required))
    }

    fn selection_set(&mut self) -> Result<Vec<Field>, String> {
        self.expect('{')?;
        let mut fields = Vec::new();
        while !self.at('}') {
            if self.peek() == Some(&Tok::Spread) {
                return Err("fragments are not supported".into());
            }
            if self.peek().is_none() {
                return Err("unexpected end of the query (a \"}\" is missing)".into());
            }
            fields.push(self.field()?);
        }
        self.expect('}')?;
        if fields.is_empty() {
            return Err("object field must have selections".into());
        }
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, String> {
        let first = self.name()?;
        let (alias, name) = if self.at(':') {
            self.pos += 1;
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        let mut args = Vec::new();
        if self.at('(') {
            self.pos += 1;
            while !self.at(')') {
                let k = self.name()?;
                self.expect(':')?;
                args.push((k, self.value()?));
            }
            self.expect(')')?;
        }
        let selection = if self.at('{') {
            self.selection_set()?
        } else {
            Vec::new()
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
        })
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Tok::Punct('$')) => Ok(Value::Var(self.name()?)),
            Some(Tok::Str(s)) => Ok(Value::Str(s)),
            Some(Tok::Int(n)) => Ok(Value::Int(n)),
            Some(Tok::Name(n)) => Ok(Value::Enum(n)),
            Some(Tok::Punct('[')) => {
                let mut items = Vec::new();
                while !self.at(']') {
                    if self.peek().is_none() {
                        return Err("unterminated list".into());
                    }
                    items.push(self.value()?);
                }
                self.pos += 1;
                Ok(Value::List(items))
            }
            Some(Tok::Punct('{')) => {
                let mut fields = Vec::new();
                while !self.at('}') {
                    let k = self.name()?;
                    self.expect(':')?;
                    fields.push((k, self.value()?));
                }
                self.pos += 1;
                Ok(Value::Object(fields))
            }
            other => Err(format!(
                "expected a value, found {}",
                describe(other.as_ref())
            )),
        }
    }
}

fn describe(t: Option<&Tok>) -> String {
    match t {
        None => "the end of the query".into(),
        Some(Tok::Punct(c)) => format!("\"{c}\""),
        Some(Tok::Spread) => "\"...\"".into(),
        Some(Tok::Name(n)) => format!("\"{n}\""),
        Some(Tok::Str(s)) => format!("the string {s:?}"),
        Some(Tok::Int(n)) => format!("the number {n}"),
    }
}

/// Reads one query operation, or says what it cannot read.
pub fn parse(src: &str) -> Result<Operation, String> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err("the query is empty".into());
    }
    Parser { toks, pos: 0 }.operation()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_operation_with_variables_aliases_and_arguments() {
        let op = parse(
            "# comment\nquery Usage($account: string!, $start: Date!, $list: [string!] = [\"a\"]) {\n\
             viewer { accounts(filter: {accountTag: $account}) {\n\
               w: workersInvocationsAdaptive(limit: 10, filter: {date_geq: $start, n: -3, e: \"x\\\"y\\u0041\"}, orderBy: [date_ASC]) {\n\
                 sum { requests } dimensions { scriptName }\n\
             } } } }",
        )
        .expect("parses");
        assert_eq!(op.name.as_deref(), Some("Usage"));
        assert_eq!(op.vars.len(), 3);
        assert_eq!(op.vars[0].ty, "string!");
        assert!(op.vars[0].required);
        assert_eq!(op.vars[2].ty, "[string!]");
        assert!(!op.vars[2].required);
        assert_eq!(
            op.vars[2].default,
            Some(Value::List(vec![Value::Str("a".into())]))
        );
        let accounts = &op.selection[0].selection[0];
        assert_eq!(
            accounts.arg("filter"),
            Some(&Value::Object(vec![(
                "accountTag".into(),
                Value::Var("account".into())
            )]))
        );
        let w = &accounts.selection[0];
        assert_eq!(w.key(), "w");
        assert_eq!(w.name, "workersInvocationsAdaptive");
        assert_eq!(w.arg("limit"), Some(&Value::Int(10)));
        let Some(Value::Object(f)) = w.arg("filter") else {
            panic!("filter is an object")
        };
        assert_eq!(f[1], ("n".into(), Value::Int(-3)));
        assert_eq!(f[2], ("e".into(), Value::Str("x\"yA".into())));
        assert_eq!(
            w.arg("orderBy"),
            Some(&Value::List(vec![Value::Enum("date_ASC".into())]))
        );
        assert_eq!(w.selection[0].selection[0].name, "requests");
    }

    #[test]
    fn anonymous_queries_parse_and_unsupported_syntax_is_refused() {
        let op = parse("{ viewer { accounts { accountTag } } }").expect("parses");
        assert_eq!(op.name, None);
        for bad in [
            "",
            "{ viewer { ...F } }",
            "mutation { x }",
            "{ viewer @skip(if: true) { x } }",
            "{ viewer { x(a: 1.5) } }",
            "{ viewer { x } } { y }",
            "{ viewer { x }",
            "{ viewer { } }",
            "{ viewer { x(a: \"open) } }",
            "{ viewer { x(a: \"\"\"b\"\"\") } }",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
