//! `cargo xtask openapi`: rewrites the committed OpenAPI document from the route tables
//! (`crates/nno-openapi`). `cargo xtask api-docs`: serves a browsable reference of it
//! (Swagger UI, pinned in `crates/nno-openapi/viewer/package-lock.json`) on localhost.

use crate::toolchain;
use crate::util::{self, step};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

pub fn regenerate(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unknown option {a}"));
    }
    let path = util::repo_root().join(nno_openapi::DOCUMENT_PATH);
    let text = nno_openapi::render()?;
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    if before == text {
        eprintln!("{} is up to date", nno_openapi::DOCUMENT_PATH);
        return Ok(());
    }
    std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    let ops = nno_core::api::operations().len();
    eprintln!(
        "wrote {} ({ops} operations, {} bytes); the gateway serves it after its next build",
        nno_openapi::DOCUMENT_PATH,
        text.len()
    );
    Ok(())
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>NNO API reference</title>
  <link rel="stylesheet" href="/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/swagger-ui-bundle.js"></script>
  <script>
    SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", deepLinking: true,
      docExpansion: "none", displayOperationId: true, tryItOutEnabled: false });
  </script>
</body>
</html>
"##;

pub fn serve_docs(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => 8795,
        [flag, n] if flag == "--port" => n.parse().map_err(|_| format!("bad port {n}"))?,
        _ => return Err("usage: cargo xtask api-docs [--port N]".into()),
    };
    let root = util::repo_root();
    let viewer = root.join("crates/nno-openapi/viewer");
    toolchain::npm_ci(
        &viewer,
        &["swagger-ui-dist/swagger-ui-bundle.js"],
        "installing Swagger UI from crates/nno-openapi/viewer/package-lock.json",
    )?;
    let assets = viewer.join("node_modules/swagger-ui-dist");
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e} (try --port N)"))?;
    step(&format!(
        "NNO API reference: http://127.0.0.1:{port}/  (the document as committed, {}; Ctrl-C stops)",
        nno_openapi::DOCUMENT_PATH
    ));
    for stream in listener.incoming().flatten() {
        let _ = answer(stream, &root, &assets);
    }
    Ok(())
}

/// One request: the page, the document (read afresh, so a regenerated one shows on
/// reload), or one of Swagger UI's two files.
fn answer(mut s: TcpStream, root: &Path, assets: &Path) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let file = |name: &str| -> PathBuf { assets.join(name) };
    let (status, kind, body): (&str, &str, Vec<u8>) = match path {
        "/" | "/index.html" => (
            "200 OK",
            "text/html; charset=utf-8",
            PAGE.as_bytes().to_vec(),
        ),
        "/openapi.json" => (
            "200 OK",
            "application/json",
            std::fs::read(root.join(nno_openapi::DOCUMENT_PATH))?,
        ),
        "/swagger-ui.css" => ("200 OK", "text/css", std::fs::read(file("swagger-ui.css"))?),
        "/swagger-ui-bundle.js" => (
            "200 OK",
            "text/javascript",
            std::fs::read(file("swagger-ui-bundle.js"))?,
        ),
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    write!(
        s,
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(&body)
}
