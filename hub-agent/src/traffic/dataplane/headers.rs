//! Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a
//! proxy drops them, and every header the `Connection` header names, in both
//! directions. Forwarding a client's `Connection: close` would make the
//! backend close a pooled connection after every request. Pure.

use http::{HeaderMap, HeaderValue, header};

/// Always hop-by-hop, whatever `Connection` says.
const HOP_BY_HOP: &[&str] =
    &["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/// The tokens of every `Connection` header, lower-cased.
fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The protocol a client asks to switch to (an HTTP/1.1 `Upgrade` announced
/// in `Connection`), if any.
pub fn upgrade(headers: &HeaderMap) -> Option<HeaderValue> {
    let announced = connection_tokens(headers).iter().any(|t| t == "upgrade");
    announced.then(|| headers.get(header::UPGRADE).cloned()).flatten()
}

/// `headers` without the hop-by-hop ones.
pub fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named = connection_tokens(headers);
    let mut out = HeaderMap::with_capacity(headers.len());
    for (k, v) in headers {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) || named.iter().any(|n| n == name) {
            continue;
        }
        out.append(k.clone(), v.clone());
    }
    out
}

/// Adds what an upgrade needs on the next hop: `Connection: upgrade` and the protocol.
pub fn with_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, protocol);
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderName;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let h = map(&[
            ("connection", "close, X-Session"),
            ("Keep-Alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("x-session", "abc"),
            ("x-request-id", "1"),
            ("accept", "a"),
            ("accept", "b"),
        ]);
        let out = end_to_end(&h);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-request-id", "accept"]);
        assert_eq!(out.get_all("accept").iter().count(), 2, "repeated end-to-end headers stay repeated");
    }

    #[test]
    fn an_upgrade_needs_both_headers() {
        assert_eq!(
            upgrade(&map(&[("connection", "keep-alive, Upgrade"), ("upgrade", "websocket")])).unwrap(),
            "websocket"
        );
        assert!(upgrade(&map(&[("upgrade", "websocket")])).is_none(), "not announced in Connection");
        assert!(upgrade(&map(&[("connection", "upgrade")])).is_none(), "no protocol");
        let mut h = end_to_end(&map(&[("connection", "upgrade"), ("upgrade", "websocket"), ("host", "x")]));
        with_upgrade(&mut h, HeaderValue::from_static("websocket"));
        assert_eq!(h.get(header::CONNECTION).unwrap(), "upgrade");
        assert_eq!(h.get(header::UPGRADE).unwrap(), "websocket");
        assert_eq!(h.get(header::HOST).unwrap(), "x");
    }
}
