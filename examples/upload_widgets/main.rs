//! Uppy and Dropzone uploading straight to S3 with forms signed from one
//! `post_policy!` declaration, on 127.0.0.1.
//!
//! ```text
//! cargo run --example upload-widgets [-- --port PORT]
//! ```
//!
//! Serves `/uppy` and `/dropzone` (port 8081 by default): several images at
//! once, per-file progress, the store's refusals in words. The uploads go
//! to the local S3 POST endpoint, started in-process with its data under
//! `target/upload-widgets-data`; with `UPLOAD_WIDGETS_BUCKET` set, to that
//! bucket of the store the standard AWS variables name, whose CORS rules
//! must let the page's origin `POST` and expose `ETag`.
//!
//! The widgets' browser bundles come from their npm packages, pinned in
//! `tests/browser/package.json`, never from a CDN: from
//! `UPLOAD_WIDGETS_NODE_MODULES` when set, else from `.cache/playwright/`
//! (where `./test.sh` installs them), else from `tests/browser/` (after
//! `npm ci --prefix tests/browser --ignore-scripts`).

mod app;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: upload-widgets [--port PORT]";

/// Where the widgets' `node_modules` may be, in order.
fn node_modules_candidates() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("UPLOAD_WIDGETS_NODE_MODULES") {
        return vec![PathBuf::from(dir)];
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    vec![
        root.join(".cache/playwright/node_modules"),
        root.join("tests/browser/node_modules"),
    ]
}

fn main() -> ExitCode {
    let mut port = 8081u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|p| p.parse())) {
            ("--port", Some(Ok(p))) => port = p,
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("upload-widgets: unexpected `{arg}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let candidates = node_modules_candidates();
    let Some(bundles) = candidates
        .iter()
        .find_map(|dir| app::Bundles::read(dir).ok())
    else {
        let tried: Vec<String> = candidates
            .iter()
            .map(|dir| format!("  {}", dir.display()))
            .collect();
        eprintln!(
            "upload-widgets: the widgets' browser bundles (npm packages uppy and dropzone) are not \
             installed; looked in:\n{}\ninstall them with `npm ci --prefix tests/browser \
             --ignore-scripts` (or run ./test.sh), or set UPLOAD_WIDGETS_NODE_MODULES to a \
             node_modules directory holding them",
            tried.join("\n")
        );
        return ExitCode::FAILURE;
    };
    let storage = match std::env::var("UPLOAD_WIDGETS_BUCKET") {
        Ok(bucket) if !bucket.is_empty() => match policy_runtime::Signer::from_env() {
            Ok(signer) => app::Storage::Store { signer, bucket },
            Err(e) => {
                eprintln!("upload-widgets: UPLOAD_WIDGETS_BUCKET={bucket} names a store: {e}");
                return ExitCode::from(2);
            }
        },
        _ => app::Storage::Local {
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/upload-widgets-data"),
        },
    };
    let local = matches!(storage, app::Storage::Local { .. });
    let versions = bundles.versions.clone();
    let widgets = match app::start(([127, 0, 0, 1], port).into(), storage, bundles) {
        Ok(widgets) => widgets,
        Err(e) => {
            eprintln!(
                "upload-widgets: cannot start on 127.0.0.1:{port}: {e}\n(`-- --port N` listens \
                 on another port, `--port 0` on a free one)"
            );
            return ExitCode::FAILURE;
        }
    };
    println!("widgets: {versions}");
    if local {
        println!(
            "uploads go to the local S3 POST endpoint at {}",
            widgets.store_url()
        );
    } else {
        println!(
            "uploads go to {}; its CORS rules must let {} POST and expose ETag",
            widgets.store_url(),
            widgets.url()
        );
    }
    println!(
        "open {0}/uppy or {0}/dropzone   (Ctrl-C stops)",
        widgets.url()
    );
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("upload-widgets: {e}");
            return ExitCode::FAILURE;
        }
    };
    std::thread::spawn(move || {
        runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        let _ = tx.send(());
    });
    let _ = rx.recv();
    ExitCode::SUCCESS
}
