//! Malformed input never makes a macro panic.
//!
//! A deterministic corpus of valid and invalid `#[signal]` and `#[receiver]`
//! uses is mutated (tokens deleted, duplicated, swapped, inserted, replaced,
//! truncated, wrapped in or unwrapped from groups, spliced from other
//! entries) and every mutant goes through `expand::signal` and
//! `expand::receiver`. For each, the expansion must:
//!
//! - not panic;
//! - print as tokens that lex again;
//! - be either the full expansion or the user's tokens plus
//!   `compile_error!`, never both and never neither;
//! - be valid Rust items whenever the macro accepted the input, or the input
//!   itself was an item (so that one mistake does not cascade).
//!
//! `SIGNALS_FUZZ_CASES=1000000 cargo test -p signals-macros fuzz` runs longer;
//! `SIGNALS_FUZZ_SEED` picks another sequence.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::expand;

/// `(args, item)` pairs: the first 8 are valid.
const SIGNALS: &[(&str, &str)] = &[
    (
        "response = Vec<String>, async",
        "pub struct Ask<'a> { pub q: &'a str }",
    ),
    ("", "pub struct Ping {}"),
    ("", "pub struct Ping<'a> { pub label: &'a str }"),
    ("name = \"app.tick\"", "pub struct Tick { pub value: u64 }"),
    (
        "async",
        "/// Docs.\n#[derive(Debug)] pub struct Uploaded { pub bytes: u64 }",
    ),
    (
        "crate = ::signals_core, name = \"x\"",
        "pub(crate) struct Pair<'a, 'b: 'a> where Self: 'a { a: &'a u8, b: &'b u8 }",
    ),
    ("", "struct r#Raw { r#type: u8 }"),
    ("", "pub struct Ñandú { metres: u32 }"),
    ("", "pub enum Ping { A, B }"),
    ("", "pub union Ping { a: u32, b: f32 }"),
    ("", "pub struct Ping(u32);"),
    ("", "pub struct Ping;"),
    ("", "pub struct Ping<T, const N: usize> { t: [T; N] }"),
    ("", "pub fn ping() {}"),
    ("async, async", "struct Ping {}"),
    ("name = \"a\", name = \"b\"", "struct Ping {}"),
    ("name = app.ping", "struct Ping {}"),
    ("name = \"\"", "struct Ping {}"),
    ("label = 1, crate = \"x\"", "struct Ping {}"),
    ("name =", "struct Ping {}"),
    ("response = , response = u8", "struct Ping {}"),
];

/// `(args, item)` pairs: the first 6 are valid.
const RECEIVERS: &[(&str, &str)] = &[
    (
        "signals = [Ping, crate::Pong], order = -1, filter = f",
        "fn on<'a, S: Signal + Debug>(s: &'a S) -> Result<u8, E> { Ok(1) }",
    ),
    ("signal = Ping", "fn on_ping(ping: &Ping) {}"),
    (
        "signal = crate::events::Ping, order = -5, name = \"early\"",
        "fn early(ping: &Ping<'_>) -> Result<(), MyError> { Ok(()) }",
    ),
    (
        "signal = super::Ping, filter = is_big, order = 0x10",
        "async fn on<'x>(ping: &'x Ping<'x>) -> Result<(), Box<dyn Error + Send + Sync>> { Ok(()) }",
    ),
    (
        "crate = ::sc, signal = Ping, order = -2147483648",
        "pub(crate) extern \"C\" fn r#type(_: &Ping) -> ! { loop {} }",
    ),
    ("signal = Ping", "fn on(ping: &Ping) -> impl Sized {}"),
    ("", "fn on(ping: &Ping) {}"),
    ("signal = Ping", "fn on(&self, ping: &Ping) {}"),
    ("signal = Ping", "fn on<T: Signal, const N: usize>(t: &T) {}"),
    ("signal = Ping", "fn on() {}"),
    ("signal = Ping", "fn on(ping: &Ping, count: u32) {}"),
    ("signal = Ping", "fn on(ping: Ping) {}"),
    ("signal = Ping", "unsafe fn on(ping: &mut Ping) -> i32 { 0 }"),
    ("signal = Ping<'static>", "fn on(ping: &impl Signal) {}"),
    ("signal = Ping, order = 3000000000, order = 1", "fn on(ping: &Ping) {}"),
    ("signal = Ping, order = \"first\", priority = 1", "fn on(ping: &Ping) {}"),
    ("signal = Ping, async, filter = 1", "fn on(ping: &Ping) {}"),
    ("signal =", "struct OnPing;"),
    ("signal = Ping", "unsafe extern \"C\" fn on(ping: &Ping, ...) {}"),
    ("signals = [Ping, Ping], signal = Pong", "fn on<S, T>(s: &Vec<S>) {}"),
    ("signals = [], order = 1", "fn on(ping: &Ping) {}"),
];

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`; `n` must not be 0.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "union",
    "pub",
    "crate",
    "self",
    "super",
    "Self",
    "async",
    "await",
    "unsafe",
    "const",
    "static",
    "impl",
    "dyn",
    "where",
    "for",
    "mut",
    "extern",
    "type",
    "mod",
    "r#type",
    "r#match",
    "_",
    "signal",
    "order",
    "name",
    "filter",
    "Ping",
    "Result",
    "Box",
    "i32",
    "u64",
    "str",
    "Ñandú",
    "__signals_b",
    "macro_rules",
    "loop",
    "return",
    "ref",
    "move",
];

const PUNCTS: &[char] = &[
    '&', ',', ';', ':', '=', '-', '<', '>', '#', '!', '?', '*', '.', '\'', '+', '/', '@', '|', '$',
];

const DELIMITERS: &[Delimiter] = &[
    Delimiter::Parenthesis,
    Delimiter::Brace,
    Delimiter::Bracket,
    Delimiter::None,
];

fn random_literal(rng: &mut Rng) -> Literal {
    match rng.below(12) {
        0 => Literal::string(""),
        1 => Literal::string("app.ping"),
        2 => Literal::string("  "),
        3 => Literal::i64_unsuffixed(0),
        4 => Literal::i64_unsuffixed(-1),
        5 => Literal::u64_unsuffixed(2_147_483_648),
        6 => Literal::u64_unsuffixed(u64::MAX),
        7 => Literal::f64_unsuffixed(1.5),
        8 => Literal::character('c'),
        9 => Literal::byte_string(b"b"),
        10 => Literal::u8_suffixed(1),
        _ => "0x7fff_ffffi32".parse().expect("literal"),
    }
}

fn random_tree(rng: &mut Rng, corpus: &[TokenStream]) -> TokenTree {
    match rng.below(10) {
        0..=3 => {
            let word = rng.pick(WORDS);
            match word.strip_prefix("r#") {
                Some(raw) => Ident::new_raw(raw, Span::call_site()).into(),
                None => Ident::new(word, Span::call_site()).into(),
            }
        }
        4..=5 => {
            let spacing = if rng.chance(3) {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            Punct::new(*rng.pick(PUNCTS), spacing).into()
        }
        6..=7 => random_literal(rng).into(),
        8 => Group::new(*rng.pick(DELIMITERS), TokenStream::new()).into(),
        // A whole other entry, grouped.
        _ => Group::new(*rng.pick(DELIMITERS), rng.pick(corpus).clone()).into(),
    }
}

/// One mutation somewhere in `tokens`, possibly inside a group.
fn mutate(tokens: &mut Vec<TokenTree>, rng: &mut Rng, corpus: &[TokenStream], depth: usize) {
    let groups: Vec<usize> = (0..tokens.len())
        .filter(|&i| matches!(tokens[i], TokenTree::Group(_)))
        .collect();
    if !groups.is_empty() && depth < 6 && rng.chance(3) {
        let i = *rng.pick(&groups);
        if let TokenTree::Group(group) = &tokens[i] {
            let mut inner: Vec<TokenTree> = group.stream().into_iter().collect();
            mutate(&mut inner, rng, corpus, depth + 1);
            let mut rebuilt = Group::new(group.delimiter(), inner.into_iter().collect());
            rebuilt.set_span(group.span());
            tokens[i] = rebuilt.into();
        }
        return;
    }
    let len = tokens.len();
    match rng.below(10) {
        // Delete one token.
        0 if len > 0 => {
            tokens.remove(rng.below(len));
        }
        // Duplicate one token.
        1 if len > 0 => {
            let i = rng.below(len);
            tokens.insert(i, tokens[i].clone());
        }
        // Swap two tokens.
        2 if len > 1 => {
            let (i, j) = (rng.below(len), rng.below(len));
            tokens.swap(i, j);
        }
        // Replace one token.
        3 if len > 0 => {
            let i = rng.below(len);
            tokens[i] = random_tree(rng, corpus);
        }
        // Truncate.
        4 if len > 0 => tokens.truncate(rng.below(len)),
        // Wrap a run of tokens in a group.
        5 if len > 0 => {
            let start = rng.below(len);
            let end = start + rng.below(len - start) + 1;
            let run: TokenStream = tokens.drain(start..end).collect();
            tokens.insert(start, Group::new(*rng.pick(DELIMITERS), run).into());
        }
        // Splice a group's contents into its place, or change its delimiter.
        6 if !groups.is_empty() => {
            let i = *rng.pick(&groups);
            if let TokenTree::Group(group) = tokens.remove(i) {
                if rng.chance(2) {
                    tokens.splice(i..i, group.stream());
                } else {
                    tokens.insert(i, Group::new(*rng.pick(DELIMITERS), group.stream()).into());
                }
            }
        }
        // Splice in a run of another entry.
        7 => {
            let other: Vec<TokenTree> = rng.pick(corpus).clone().into_iter().collect();
            if !other.is_empty() {
                let start = rng.below(other.len());
                let end = start + rng.below(other.len() - start) + 1;
                let at = rng.below(len + 1);
                tokens.splice(at..at, other[start..end].iter().cloned());
            }
        }
        // Insert a random token.
        _ => {
            let at = rng.below(len + 1);
            tokens.insert(at, random_tree(rng, corpus));
        }
    }
}

/// A mutation that keeps the shape: another literal or identifier in place
/// of one, or an outer attribute added in front. Many of these stay valid,
/// so the code generation is fuzzed too, not only the first check.
fn tweak(tokens: &mut Vec<TokenTree>, rng: &mut Rng) {
    let leaves: Vec<usize> = (0..tokens.len())
        .filter(|&i| matches!(tokens[i], TokenTree::Literal(_) | TokenTree::Ident(_)))
        .collect();
    if leaves.is_empty() || rng.chance(4) {
        let attribute = match rng.below(4) {
            0 => "#[doc = \"Docs.\"]",
            1 => "#[allow(dead_code)]",
            2 => "#[cfg(all())]",
            _ => "#[must_use]",
        };
        let attribute: TokenStream = attribute.parse().expect("attribute");
        tokens.splice(0..0, attribute);
        return;
    }
    let i = *rng.pick(&leaves);
    tokens[i] = match &tokens[i] {
        TokenTree::Literal(_) => random_literal(rng).into(),
        _ => {
            let word = rng.pick(WORDS);
            match word.strip_prefix("r#") {
                Some(raw) => Ident::new_raw(raw, Span::call_site()).into(),
                None => Ident::new(word, Span::call_site()).into(),
            }
        }
    };
}

/// A mutant of `base`, as tokens that lex again (a mutation can leave a lone
/// `'` that no source text could produce); `None` if it does not.
fn mutant(
    base: &TokenStream,
    rng: &mut Rng,
    corpus: &[TokenStream],
    rounds: usize,
) -> Option<TokenStream> {
    let mut tokens: Vec<TokenTree> = base.clone().into_iter().collect();
    for _ in 0..rounds {
        if rng.chance(2) {
            mutate(&mut tokens, rng, corpus, 0);
        } else {
            tweak(&mut tokens, rng);
        }
    }
    let stream: TokenStream = tokens.into_iter().collect();
    stream.to_string().parse().ok()
}

fn parse(text: &str) -> TokenStream {
    text.parse().expect("corpus entries lex")
}

fn contains_ident(tokens: &TokenStream, wanted: &dyn Fn(&str) -> bool) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => wanted(&ident.to_string()),
        TokenTree::Group(group) => contains_ident(&group.stream(), wanted),
        _ => false,
    })
}

/// Which macro a case runs, and how to recognise its full expansion.
#[derive(Clone, Copy)]
enum Macro {
    Signal,
    Receiver,
}

impl Macro {
    fn expand(self, args: TokenStream, input: TokenStream) -> TokenStream {
        match self {
            Macro::Signal => expand::signal(args, input, 0x5157_4e41_4c53, true),
            Macro::Receiver => expand::receiver(args, input),
        }
    }

    fn is_full_expansion(self, output: &TokenStream) -> bool {
        match self {
            // The `Signal` impl's registry: the slice exists under linkme only.
            Macro::Signal => contains_ident(output, &|ident| ident == "__registry"),
            Macro::Receiver => {
                contains_ident(output, &|ident| ident.starts_with("__signals_shim_"))
            }
        }
    }
}

/// Runs one case; returns whether the macro accepted it, or what is wrong.
fn check(which: Macro, args: &TokenStream, input: &TokenStream) -> Result<bool, String> {
    let output = catch_unwind(AssertUnwindSafe(|| {
        which.expand(args.clone(), input.clone())
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("panicked: {message}")
    })?;
    let text = output.to_string();
    let relexed: TokenStream = text
        .parse()
        .map_err(|error| format!("output does not lex again ({error:?}): {text}"))?;
    let is_error = contains_ident(&relexed, &|ident| ident == "compile_error");
    let is_full = which.is_full_expansion(&relexed);
    if is_error == is_full {
        let what = if is_full {
            "both a full expansion and an error"
        } else {
            "neither a full expansion nor an error"
        };
        return Err(format!("output is {what}: {text}"));
    }
    // Whenever the input was a valid item, so is the output. `#[receiver]`
    // parses only a function's signature and emits its body as written, so
    // a body that is not valid Rust stays invalid: rustc reports it there.
    let input_is_item = syn::parse2::<syn::Item>(input.clone()).is_ok();
    if input_is_item && syn::parse2::<syn::File>(relexed).is_err() {
        return Err(format!("output is not valid Rust items: {text}"));
    }
    Ok(is_full)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// How many mutants the macro accepted and rejected.
struct Tally {
    accepted: u64,
    rejected: u64,
}

/// Runs `cases` mutants of `entries`, whose first `valid` are accepted.
fn run(which: Macro, entries: &[(&str, &str)], valid: usize, cases: u64, seed: u64) -> Tally {
    let pairs: Vec<(TokenStream, TokenStream)> = entries
        .iter()
        .map(|(args, item)| (parse(args), parse(item)))
        .collect();
    let corpus: Vec<TokenStream> = pairs
        .iter()
        .flat_map(|(args, item)| [args.clone(), item.clone()])
        .collect();
    // The corpus as written must behave too.
    for (i, (args, item)) in pairs.iter().enumerate() {
        match check(which, args, item) {
            Ok(accepted) => assert_eq!(accepted, i < valid, "corpus: #[{args}] {item}"),
            Err(problem) => panic!("corpus: #[{args}] {item}\n{problem}"),
        }
    }
    let mut rng = Rng(seed | 1);
    let mut tally = Tally {
        accepted: 0,
        rejected: 0,
    };
    let mut attempts = 0;
    while tally.accepted + tally.rejected < cases {
        attempts += 1;
        assert!(attempts < cases * 4, "too few mutants lex; fix the mutator");
        // Half the cases are one change away from a valid entry.
        let (args, item, rounds) = if rng.chance(2) {
            let (args, item) = rng.pick(&pairs[..valid]);
            (args, item, 1)
        } else {
            let (args, item) = rng.pick(&pairs);
            (args, item, 1 + rng.below(4))
        };
        let (args, item) = match rng.below(3) {
            0 => (mutant(args, &mut rng, &corpus, rounds), Some(item.clone())),
            1 => (Some(args.clone()), mutant(item, &mut rng, &corpus, rounds)),
            _ => (
                mutant(args, &mut rng, &corpus, rounds),
                mutant(item, &mut rng, &corpus, rounds),
            ),
        };
        let (Some(args), Some(item)) = (args, item) else {
            continue;
        };
        match check(which, &args, &item) {
            Ok(true) => tally.accepted += 1,
            Ok(false) => tally.rejected += 1,
            Err(problem) => panic!("seed {seed}, attempt {attempts}: #[{args}] {item}\n{problem}"),
        }
    }
    tally
}

/// Both paths of the macro are exercised, not only its first error.
fn assert_mixed(tally: &Tally, cases: u64) {
    assert_eq!(tally.accepted + tally.rejected, cases);
    assert!(
        tally.accepted >= cases / 20 && tally.rejected >= cases / 20,
        "{} accepted, {} rejected: the corpus or the mutator is lopsided",
        tally.accepted,
        tally.rejected
    );
}

#[test]
fn malformed_signals_never_panic() {
    let cases = env_number("SIGNALS_FUZZ_CASES", 12_000);
    let seed = env_number("SIGNALS_FUZZ_SEED", 0x00c0_ffee);
    assert_mixed(&run(Macro::Signal, SIGNALS, 8, cases, seed), cases);
}

#[test]
fn malformed_receivers_never_panic() {
    let cases = env_number("SIGNALS_FUZZ_CASES", 12_000);
    let seed = env_number("SIGNALS_FUZZ_SEED", 0x00c0_ffee);
    assert_mixed(&run(Macro::Receiver, RECEIVERS, 6, cases, seed), cases);
}
