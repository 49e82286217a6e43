//! Access tokens of one account: `tokens`, `tokens_env` or `tokens_file`. Messages point at
//! a token by its position, never by its value.

use std::collections::HashSet;
use std::path::Path;

use crate::domain::Secret;

/// Shorter tokens could be guessed; 16 characters of a random string are far out of reach.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// A token with fewer different characters than this is a pattern (`aaaa…`, `abab…`,
/// `12341234…`), not a random string, however long.
pub const MIN_DISTINCT_CHARACTERS: usize = 8;

/// The least strength accepted, estimated as length × log2(number of different characters):
/// what a random string of that length over that many characters would have. 16 random hex
/// digits are exactly 64 bits; `openssl rand -hex 24` gives 48 hex digits (192 bits).
pub const MIN_TOKEN_BITS: f64 = 64.0;

/// How to make a good token, for the messages.
const TOKEN_HINT: &str = "make one with `openssl rand -hex 24`";

/// Checks a list of tokens: not empty, each long enough, varied enough (see
/// [`MIN_DISTINCT_CHARACTERS`], [`MIN_TOKEN_BITS`]) and free of whitespace.
pub(super) fn checked(tokens: Vec<String>) -> Result<Vec<Secret<String>>, String> {
    if tokens.is_empty() {
        return Err("holds no token; remove the key to leave the account without tokens".into());
    }
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let position = i + 1;
            if token.chars().count() < MIN_TOKEN_LENGTH {
                Err(format!(
                    "token #{position} is shorter than {MIN_TOKEN_LENGTH} characters; \
                     {TOKEN_HINT}"
                ))
            } else if token.chars().any(char::is_whitespace) {
                Err(format!("token #{position} contains whitespace"))
            } else if !varied_enough(&token) {
                Err(format!(
                    "token #{position} is too easy to guess: a token needs at least \
                     {MIN_DISTINCT_CHARACTERS} different characters and at least \
                     {MIN_TOKEN_BITS} bits as length × log2(number of different characters); \
                     {TOKEN_HINT}"
                ))
            } else {
                Ok(Secret::new(token))
            }
        })
        .collect()
}

/// At least [`MIN_DISTINCT_CHARACTERS`] different characters and [`MIN_TOKEN_BITS`] by
/// length × log2(different characters).
fn varied_enough(token: &str) -> bool {
    let length = token.chars().count();
    let distinct = token.chars().collect::<HashSet<char>>().len();
    distinct >= MIN_DISTINCT_CHARACTERS
        && length as f64 * (distinct as f64).log2() >= MIN_TOKEN_BITS
}

/// The tokens one of `tokens`, `tokens_env` (a variable's name) or `tokens_file` (relative to
/// `base_dir`) gives; none of them gives no token. Errors are (key at fault, message), and
/// never quote a token. Accounts and `[metrics]` take their tokens alike.
pub(super) fn from_keys(
    list: Option<Vec<String>>,
    env: Option<String>,
    file: Option<String>,
    base_dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Secret<String>>, (&'static str, String)> {
    match (list, env, file) {
        (None, None, None) => Ok(Vec::new()),
        (Some(list), None, None) => checked(list).map_err(|m| ("tokens", m)),
        (None, Some(var_name), None) => {
            let value = var(&var_name).ok_or_else(|| {
                (
                    "tokens_env",
                    format!("environment variable {var_name} is not set"),
                )
            })?;
            checked(split_list(&value))
                .map_err(|m| ("tokens_env", format!("environment variable {var_name} {m}")))
        }
        (None, None, Some(file)) => {
            read_file(&base_dir.join(&file)).map_err(|m| ("tokens_file", m))
        }
        _ => Err((
            "tokens",
            "give at most one of `tokens`, `tokens_env`, `tokens_file`".to_owned(),
        )),
    }
}

/// Splits an environment variable's comma-separated tokens; spaces around commas are ignored.
pub(super) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a tokens file: one token per line; blank lines and `#` comments are ignored.
pub(super) fn read_file(path: &Path) -> Result<Vec<Secret<String>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let tokens = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    checked(tokens).map_err(|m| format!("{}: {m}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn short_empty_or_spaced_tokens_are_refused_without_echoing_them() {
        let cases: [(&[&str], &str); 3] = [
            (&[], "no token"),
            (&["0123456789abcdef", "short-secret"], "token #2 is shorter"),
            (&["0123456789 abcdef"], "token #1 contains whitespace"),
        ];
        for (tokens, want) in cases {
            let message = checked(tokens.iter().map(|t| t.to_string()).collect())
                .expect_err("must be refused");
            assert!(message.contains(want), "{message}");
            for token in tokens {
                assert!(!message.contains(token), "token leaked: {message}");
            }
        }
    }

    #[test]
    fn tokens_with_too_little_variety_are_refused_by_position_pointing_to_openssl() {
        let weak = [
            "aaaaaaaaaaaaaaaa",                           // 1 different character
            "abababababababababababababababab",           // 2: 32 bits
            "0123456701234567",                           // 8, but 16 × 3 = 48 bits
            "abcdefgabcdefgabcdefgabcdefgabcdefgabcdefg", // 7 different characters
        ];
        for token in weak {
            let message = checked(vec!["0123456789abcdef".to_owned(), token.to_owned()])
                .expect_err("must be refused");
            assert!(
                message.contains("token #2 is too easy to guess"),
                "{message}"
            );
            assert!(message.contains("openssl rand -hex 24"), "{message}");
            assert!(!message.contains(token), "token leaked: {message}");
        }
        let accepted = [
            "0123456789abcdef",                                 // 16 × 4 = 64 bits
            "01234567012345670123456701234567",                 // 32 × 3 = 96 bits
            "3f9c0d7e1a5b42c8e6d0f19a7b3c5e2d4a6f8b0c1d3e5f70", // openssl rand -hex 24
        ];
        for token in accepted {
            assert!(checked(vec![token.to_owned()]).is_ok(), "{token}");
        }
    }

    #[test]
    fn lists_split_on_commas_and_files_skip_comments() {
        assert_eq!(split_list(" a, b ,,c"), ["a", "b", "c"]);
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"# the kitchen tablet\n0123456789abcdef\n\n  fedcba9876543210  \n")
            .expect("write");
        let tokens = read_file(file.path()).expect("valid tokens file");
        let values: Vec<&str> = tokens.iter().map(|t| t.expose().as_str()).collect();
        assert_eq!(values, ["0123456789abcdef", "fedcba9876543210"]);
    }
}
