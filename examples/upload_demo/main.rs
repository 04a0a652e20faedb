//! Browser uploads straight to S3, end to end, on 127.0.0.1.
//!
//! ```text
//! cargo run --release --example upload-demo [-- --port PORT]
//! ```
//!
//! A small axum service declares its rules with `post_policy!` (images up to
//! 5 MB under `user/42/`), hands the page freshly signed forms, and records
//! an upload once the store confirms it. The page checks files against the
//! same declaration, uploads several at once directly to the store, each
//! with a progress bar, then lists the stored images with links, or shows
//! the store's refusal, and says what just happened.
//!
//! By default the uploads go to the local S3 POST endpoint, started
//! in-process with its data under `target/upload-demo-data`. With
//! `UPLOAD_DEMO_BUCKET` set, they go to that bucket of the store the
//! standard variables name (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT_URL_S3` for Garage, MinIO, ...); its CORS
//! rules must let the page's origin (`http://127.0.0.1:PORT`) `POST`.

mod app;

use std::process::ExitCode;

const USAGE: &str = "usage: upload-demo [--port PORT]";

fn main() -> ExitCode {
    let mut port = 8080u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|p| p.parse())) {
            ("--port", Some(Ok(p))) => port = p,
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("upload-demo: unexpected `{arg}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let vars = |name: &str| std::env::var(name).ok();
    if app::Storage::ignored_credentials(&vars) {
        println!(
            "AWS credentials are set but UPLOAD_DEMO_BUCKET is not: using the local endpoint; \
             set UPLOAD_DEMO_BUCKET to upload to your store"
        );
    }
    let storage = match app::Storage::from_lookup(&vars) {
        Ok(Some(store)) => store,
        Ok(None) => app::Storage::Local {
            dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/upload-demo-data"),
        },
        Err(e) => {
            eprintln!("upload-demo: {e}");
            return ExitCode::from(2);
        }
    };
    let local = matches!(storage, app::Storage::Local { .. });
    let demo = match app::start(([127, 0, 0, 1], port).into(), storage) {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("upload-demo: cannot start on 127.0.0.1:{port}: {e}\n(`-- --port N` listens on another port, `--port 0` on a free one)");
            return ExitCode::FAILURE;
        }
    };
    if local {
        println!(
            "uploads go to the local S3 POST endpoint at {}",
            demo.store_url()
        );
    } else {
        println!(
            "uploads go to {}; its CORS rules must let {} POST",
            demo.store_url(),
            demo.url()
        );
    }
    println!("open {}   (Ctrl-C stops)", demo.url());
    // The service runs on its own thread; wait for Ctrl-C.
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = ctrlc_channel(tx);
    let _ = rx.recv();
    println!("upload-demo: {} uploads recorded", demo.uploads().len());
    ExitCode::SUCCESS
}

/// Sends on `tx` at Ctrl-C.
fn ctrlc_channel(tx: std::sync::mpsc::Sender<()>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        let _ = tx.send(());
    });
    Ok(())
}
