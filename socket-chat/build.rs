//! Compiles `proto/chat.proto` into Rust at build time.
//!
//! `protox` parses the schema in pure Rust, so no `protoc` has to be
//! installed on the machine; `prost-build` turns the parsed descriptors into
//! Rust structs in `OUT_DIR`, which `src/wire.rs` includes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/chat.proto");
    let descriptors = protox::compile(["chat.proto"], ["proto"])?;
    prost_build::compile_fds(descriptors)?;
    Ok(())
}
