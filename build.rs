//! Link options for the `sift` binary.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // `cargo build-static` (.cargo/config.toml) links a static executable,
    // already position-dependent; `-no-pie` on top of it makes one that
    // crashes at start.
    let static_crt = features.split(',').any(|feature| feature == "crt-static");
    if os == "linux" && env == "gnu" && !static_crt {
        // A position-dependent executable: its own pointers are fixed when
        // it is linked, so starting it does not relocate, and so copy, the
        // ~130 pages of its tables. One `sift search` process is ~0.37 ms
        // (6 %) faster (bench/RESULTS.md). Libraries, heap and stack are
        // still placed at random; the executable's own code is not.
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    // The static build also lays out together the functions a search runs
    // (link/order.py says why and how the list is made). That build is
    // for x86_64 Linux with glibc, whose default linker is lld, the one
    // that reads the list; it is the build the list's names come from.
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && env == "gnu" && arch == "x86_64" && static_crt {
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let order = format!("{root}/link/search.order");
        println!("cargo:rerun-if-changed={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
        // A name the binary no longer has is skipped without a word; .ci/run
        // counts them.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
