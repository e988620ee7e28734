//! Generates the Rust code of `proto/` (prost messages, tonic clients and servers) into OUT_DIR.
//!
//! protoc and the well-known `.proto` files (google/protobuf/any.proto) come from the
//! `protoc-bin-vendored` crate, so no system protoc is needed.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "thanos/labels.proto",
    "thanos/types.proto",
    "thanos/store.proto",
    "thanos/info.proto",
    "thanos/metadata.proto",
    "thanos/targets.proto",
    "thanos/rules.proto",
    "thanos/exemplars.proto",
    "thanos/status.proto",
    "prometheus/types.proto",
    "prometheus/remote.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let protos: Vec<PathBuf> = PROTOS.iter().map(|p| proto_dir.join(p)).collect();
    let includes = [proto_dir.clone(), protoc_bin_vendored::include_path()?];

    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(true)
        // Chunk payloads as `Bytes`: decoding from a `Bytes` buffer shares it instead of copying.
        .bytes(".thanos.Chunk.data")
        .bytes(".prometheus.Chunk.data")
        // One file nesting the packages as modules: thanos { info }, prometheus.
        .include_file("_includes.rs")
        .compile_with_config(config, &protos, &includes)?;

    // compile_with_config emits no rerun-if-changed lines itself.
    println!("cargo:rerun-if-changed=build.rs");
    for p in &protos {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    Ok(())
}
