//! Access tokens of one account: `tokens`, `tokens_env` or `tokens_file`. Messages point at
//! a token by its position, never by its value.

use std::path::Path;

use crate::domain::Secret;

/// Shorter tokens could be guessed; 16 characters of a random string are far out of reach.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// Checks a list of tokens: not empty, each long enough and free of whitespace.
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
                    "token #{position} is shorter than {MIN_TOKEN_LENGTH} characters"
                ))
            } else if token.chars().any(char::is_whitespace) {
                Err(format!("token #{position} contains whitespace"))
            } else {
                Ok(Secret::new(token))
            }
        })
        .collect()
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
