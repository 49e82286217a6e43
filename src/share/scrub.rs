//! Share's own text (fault messages, error pages, pieces of unreadable answers) goes to the log
//! only, and only scrubbed: Share echoes session IDs, account IDs and account names (an e-mail
//! address or a phone number) in its messages, and a hostile upstream could send anything.
//! Scrubbing comes before truncating, so a secret cut at the boundary cannot partly survive.

/// Keys after which Share writes an account name or ID (`AccountName='x@y.z'`).
const REDACTED_KEYS: [&str; 3] = ["AccountName=", "AccountId=", "SessionId"];

/// `text` with every UUID, e-mail address, phone number, and the value after `AccountName=`,
/// `AccountId=` or `SessionId =`, replaced by a placeholder; whitespace runs folded to one
/// space, so that a hostile body cannot forge log lines.
pub fn scrub(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let keyed = redact_keyed_values(&flat);
    let without_ids = replace_uuids(&keyed);
    without_ids
        .split(' ')
        .map(scrub_word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `scrub`, then at most `max_chars` characters (with `…` when cut).
pub fn shown(text: &str, max_chars: usize) -> String {
    let scrubbed = scrub(text);
    match scrubbed.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &scrubbed[..at]),
        None => scrubbed,
    }
}

/// Replaces the value after each key: quoted (`'…'`, `"…"`, possibly with spaces) or up to the
/// next space, comma or bracket.
fn redact_keyed_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, key)) = REDACTED_KEYS
        .iter()
        .filter_map(|key| rest.find(key).map(|at| (at, *key)))
        .min_by_key(|(at, _)| *at)
    {
        let after_key = at + key.len();
        out.push_str(&rest[..after_key]);
        let value = &rest[after_key..];
        // `SessionId = <uuid>`: keep the spacing, redact what follows.
        let spaces = value.len() - value.trim_start_matches([' ', '=']).len();
        out.push_str(&value[..spaces]);
        let value = &value[spaces..];
        let end = match value.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                out.push(quote);
                out.push_str("<redacted>");
                out.push(quote);
                value[1..].find(quote).map_or(value.len(), |i| i + 2)
            }
            _ => {
                let end = value.find([' ', ',', ']', ')', ';']).unwrap_or(value.len());
                if end > 0 {
                    out.push_str("<redacted>");
                }
                end
            }
        };
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces every UUID-shaped run (8-4-4-4-12 hex digits), wherever it stands: inside a URL
/// (`?sessionId=…&`) as well as alone.
fn replace_uuids(text: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let bytes = text.as_bytes();
    let matches_at = |start: usize| {
        let mut at = start;
        for (i, len) in SHAPE.iter().enumerate() {
            if i > 0 {
                if bytes.get(at) != Some(&b'-') {
                    return false;
                }
                at += 1;
            }
            let group = bytes.get(at..at + len);
            if !group.is_some_and(|g| g.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            at += len;
        }
        true
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    while at + 36 <= bytes.len() {
        if matches_at(at) {
            out.push_str(&text[copied..at]);
            out.push_str("<uuid>");
            at += 36;
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// One space-free word, with surrounding punctuation kept.
fn scrub_word(word: &str) -> String {
    let is_edge = |c: char| !(c.is_alphanumeric() || matches!(c, '@' | '+' | '-' | '.' | '_'));
    let core_start = word.find(|c: char| !is_edge(c)).unwrap_or(word.len());
    let core_end = word.rfind(|c: char| !is_edge(c)).map_or(core_start, |i| {
        i + word[i..].chars().next().map_or(1, char::len_utf8)
    });
    let (head, core, tail) = (
        &word[..core_start],
        &word[core_start..core_end.max(core_start)],
        &word[core_end.max(core_start)..],
    );
    let core = core.trim_end_matches('.');
    let dot_tail = &word[core_start + core.len()..core_end.max(core_start)];
    let replaced = if core.contains('@') {
        "<email>"
    } else if looks_like_phone(core) {
        "<phone>"
    } else {
        return word.to_owned();
    };
    format!("{head}{replaced}{dot_tail}{tail}")
}

/// `+` and 7 or more digits, or 9 or more digits in a row (with `-` between groups).
fn looks_like_phone(word: &str) -> bool {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    let only_phone_chars = word
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || c == '-');
    only_phone_chars && ((word.starts_with('+') && digits >= 7) || digits >= 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sso_messages_lose_the_account_name_and_id() {
        let message = "Synchronization of SSO account during authenticate call failed Time out \
            issue.  AccountName=alice@example.com Error encountered accessing Keycloak endpoint: \
            UAM_ERROR: HttpStatus='401 UNAUTHORIZED(401)' Msg=Cannot Authenticate by \
            AccountName='alice@example.com'";
        let scrubbed = scrub(message);
        assert!(!scrubbed.contains("alice"), "{scrubbed}");
        assert!(scrubbed.contains("AccountName='<redacted>'"), "{scrubbed}");
        assert!(scrubbed.contains("Cannot Authenticate by"), "{scrubbed}");
        let by_id =
            scrub("Msg=Cannot Authenticate by AccountId='7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b'");
        assert!(!by_id.contains("7f1d2c3b"), "{by_id}");
    }

    #[test]
    fn ids_addresses_and_phone_numbers_are_replaced_wherever_they_stand() {
        let cases = [
            (
                "Session not active or timed out. [SessionId = 33333333-3333-3333-3333-333333333333]",
                "Session not active or timed out. [SessionId = <redacted>]",
            ),
            ("user +15551234567 failed", "user <phone> failed"),
            ("call 555-123-4567.", "call <phone>."),
            ("(bob.smith@mail.example.org)", "(<email>)"),
            (
                "POST /Read?sessionId=33333333-3333-3333-3333-333333333333&minutes=5",
                "POST /Read?sessionId=<uuid>&minutes=5",
            ),
            ("id 7f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b, again", "id <uuid>, again"),
            ("HTTP 503 at 12:00", "HTTP 503 at 12:00"),
            ("line\nforged INFO line", "line forged INFO line"),
        ];
        for (raw, want) in cases {
            assert_eq!(scrub(raw), want, "{raw}");
        }
    }

    #[test]
    fn scrubbing_comes_before_truncating() {
        // Cut at 12 characters, the UUID would be partly shown if the cut came first.
        let text = "expired: 33333333-3333-3333-3333-333333333333 end";
        let shown = shown(text, 12);
        assert!(!shown.contains("3333"), "{shown}");
        assert!(shown.ends_with('…'), "{shown}");
    }
}
