//! A small multipart/form-data parser over bytes (RFC 7578), enough for Worker
//! uploads: the boundary comes from the Content-Type, parts carry a name, an optional
//! filename and content type, and binary content (wasm) passes through untouched.

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        (!v.is_empty() && v.len() <= 200).then(|| v.to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Splits `body` into parts. Errors name what is malformed.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let mut pos = find(body, &delim, 0).ok_or("no opening boundary")? + delim.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts); // closing delimiter
        }
        // Skip transport padding and the CRLF after the delimiter.
        while pos < body.len() && (body[pos] == b' ' || body[pos] == b'\t') {
            pos += 1;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if body[pos..].starts_with(b"\n") {
            pos += 1;
        } else {
            return Err("boundary not followed by a line break".into());
        }
        let (head_end, sep_len) = match (find(body, b"\r\n\r\n", pos), find(body, b"\n\n", pos)) {
            (Some(a), Some(b)) if b < a => (b, 2),
            (Some(a), _) => (a, 4),
            (None, Some(b)) => (b, 2),
            (None, None) => return Err("part without a header end".into()),
        };
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let data_start = head_end + sep_len;
        let mut next_delim = b"\r\n".to_vec();
        next_delim.extend_from_slice(&delim);
        let (data_end, after) = match find(body, &next_delim, data_start) {
            Some(i) => (i, i + next_delim.len()),
            None => {
                // Tolerate bare-LF senders.
                let mut lf = b"\n".to_vec();
                lf.extend_from_slice(&delim);
                let i = find(body, &lf, data_start).ok_or("part without a closing boundary")?;
                (i, i + lf.len())
            }
        };
        parts.push(part_from(&head, body[data_start..data_end].to_vec())?);
        pos = after;
        if pos >= body.len() {
            return Err("body ends without the closing boundary".into());
        }
    }
}

fn part_from(head: &str, data: Vec<u8>) -> Result<Part, String> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if k == "content-type" {
            content_type = Some(v.trim().to_string());
        } else if k == "content-disposition" {
            for param in v.split(';').skip(1) {
                let Some((pk, pv)) = param.split_once('=') else {
                    continue;
                };
                let pv = pv.trim().trim_matches('"').replace("%22", "\"");
                match pk.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(pv),
                    "filename" => filename = Some(pv),
                    _ => {}
                }
            }
        }
    }
    Ok(Part {
        name: name.ok_or("part without a Content-Disposition name")?,
        filename,
        content_type,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----formdata-undici-02707").as_deref(),
            Some("----formdata-undici-02707")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("application/javascript"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn parses_text_and_binary_parts() {
        let mut body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"m.json\"\r\nContent-Type: application/json\r\n\r\n{\"main_module\":\"index.js\"}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"app.wasm\"\r\nContent-Type: application/wasm\r\n\r\n".to_vec();
        let wasm = [0u8, 0x61, 0x73, 0x6d, b'\r', b'\n', b'-', b'-', 1, 2, 255];
        body.extend_from_slice(&wasm);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        let parts = parse(&body, "XyZ").expect("parses");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "metadata");
        assert_eq!(parts[0].filename.as_deref(), Some("m.json"));
        assert_eq!(parts[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(parts[0].data, b"{\"main_module\":\"index.js\"}");
        assert_eq!(parts[1].name, "app.wasm");
        assert_eq!(parts[1].data, wasm);
    }

    #[test]
    fn empty_part_and_malformed_bodies() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n--b--";
        assert_eq!(parse(body, "b").expect("parses")[0].data, b"");
        assert!(parse(b"no boundary here", "b").is_err());
        assert!(parse(
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc",
            "b"
        )
        .is_err());
        assert!(parse(b"--b\r\nContent-Type: text/plain\r\n\r\nabc\r\n--b--", "b").is_err());
    }
}
