//! Records the compiler's version for `obs_build_info{rust_version}`: the program that links obs
//! is built by the same compiler.

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=OBS_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
}
