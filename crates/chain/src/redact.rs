//! RPC URLs often carry API keys (in the path, the query or the userinfo).
//! Error messages from the HTTP stack quote the URL they failed on, so every
//! message that may hold one is passed through [`redact_urls`] before it is
//! logged or served.

/// `text` with every `http://` or `https://` URL in it cut down to its
/// scheme, host and port; whatever followed the host becomes `…`.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_scheme(rest) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ',' | ']'))
            .unwrap_or(tail.len());
        out.push_str(&redact_one(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The position of the next `http://` or `https://`.
fn find_scheme(text: &str) -> Option<usize> {
    match (text.find("http://"), text.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn redact_one(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("?");
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = !url.username().is_empty()
                || url.password().is_some()
                || url.path() != "/"
                || url.query().is_some()
                || url.fragment().is_some();
            format!(
                "{}://{host}{port}/{}",
                url.scheme(),
                if hidden { "…" } else { "" }
            )
        }
        // Not even a URL: keep only the scheme.
        Err(_) => format!("{}://…", raw.split("://").next().unwrap_or("http")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_urls_do_not_survive() {
        let cases = [
            (
                "error sending request for url (https://eth.example.com/v2/SECRETKEY): timed out",
                "error sending request for url (https://eth.example.com/…): timed out",
            ),
            (
                "http://user:SECRET@10.0.0.1:8545/ refused",
                "http://10.0.0.1:8545/… refused",
            ),
            (
                "https://rpc.example/?apikey=SECRET",
                "https://rpc.example/…",
            ),
            (
                "plain http://127.0.0.1:8545/ stays",
                "plain http://127.0.0.1:8545/ stays",
            ),
            (
                "two: http://a.example/k1 and https://b.example/k2",
                "two: http://a.example/… and https://b.example/…",
            ),
            ("no url at all", "no url at all"),
            ("http://[not-a-url/SECRET", "http://…"),
        ];
        for (input, want) in cases {
            let got = redact_urls(input);
            assert_eq!(got, want, "{input}");
            assert!(!got.contains("SECRET"));
        }
    }
}
