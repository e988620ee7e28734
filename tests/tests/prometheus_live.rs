//! Blocks cut by a real running Prometheus 2.42: `mnemos tools tsdb dump`
//! equals `promtool tsdb dump` (staleness markers included), and a block
//! rewritten by mnemos, loaded by a second real Prometheus, answers queries
//! with the original samples.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::promapi::points;
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use mnemos_e2e::{http, mnemos_dump, mnemos_rewrite, promtool};
use mnemos_tsdb::labels::Labels;
use mnemos_tsdb::Block;

/// Bit pattern Prometheus writes as a staleness marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// Staleness markers in the series of `job` in `block`.
fn stale_markers_in(block: &Path, job: &str) -> usize {
    all_series(block)
        .iter()
        .filter(|(l, _)| l.get("job") == Some(job))
        .map(|(_, s)| s.iter().filter(|(_, v)| v.to_bits() == STALE_NAN).count())
        .sum()
}

#[test]
fn real_prometheus_blocks_dump_rewrite_and_reload() {
    let work = tempfile::tempdir().unwrap();
    let mut target = TestTarget::start();
    let port = free_port();
    let config = format!(
        "global: {{scrape_interval: 1s, external_labels: {{replica: a}}}}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n  - job_name: flaky\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
        target.port
    );
    let prom = Prometheus::start(work.path(), "prom-a", &config, "20s", port);
    // Let the flaky target be scraped for a while, then vanish: Prometheus
    // writes staleness markers for its series at the next failed scrape.
    std::thread::sleep(Duration::from_secs(12));
    target.stop();
    let stopped_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;

    // Wait until blocks cover the staleness markers.
    let blocks: Vec<PathBuf> = wait_for(Duration::from_secs(240), Duration::from_secs(2), || {
        let blocks = promtool::blocks_in(&prom.data_dir);
        let covered = blocks.iter().any(|b| {
            mnemos_tsdb::BlockMeta::read_from_dir(b).is_ok_and(|m| m.min_time > stopped_ms + 2_000)
        });
        covered.then_some(blocks)
    })
    .expect("Prometheus cut no block covering the staleness markers within 240s");
    let blocks: Vec<PathBuf> = blocks
        .into_iter()
        .filter(|b| {
            mnemos_tsdb::BlockMeta::read_from_dir(b).is_ok_and(|m| m.min_time <= stopped_ms + 2_000)
        })
        .collect();

    let mut stale_total = 0;
    let mut checked = Vec::new();
    for block in &blocks {
        let single = promtool::single_block_dir(block);
        let want = promtool::dump(single.path(), &[]);
        let got = mnemos_dump(block, &[]);
        assert!(
            want == got,
            "dump of Prometheus block {} differs from promtool's",
            block.display()
        );
        stale_total += stale_markers_in(block, "flaky");
        checked.push((block.clone(), want));
    }
    assert!(stale_total > 0, "no staleness marker found in the blocks");

    // Rewrite the block holding the markers, check it with promtool, then load
    // it in a second Prometheus and query every series' raw samples back.
    let (block, want) = checked
        .iter()
        .find(|(b, _)| stale_markers_in(b, "flaky") > 0)
        .expect("block with staleness markers");
    let out = work.path().join("rewritten");
    let new_block = mnemos_rewrite(block, &out);
    assert_eq!(
        stale_markers_in(&new_block, "flaky"),
        stale_markers_in(block, "flaky")
    );
    let rewritten = promtool::single_block_dir(&new_block);
    assert!(
        promtool::dump(rewritten.path(), &[]) == *want,
        "promtool dump of the rewritten block differs"
    );

    let port_b = free_port();
    let reload_dir = work.path().join("prom-b-data");
    promtool::copy_dir(&new_block, &reload_dir.join(new_block.file_name().unwrap()));
    let prom_b = Prometheus::start(
        work.path(),
        "prom-b",
        "global: {scrape_interval: 1h}\n",
        "2h",
        port_b,
    );
    assert_ne!(prom_b.pid(), prom.pid());
    let meta = mnemos_tsdb::BlockMeta::read_from_dir(&new_block).unwrap();
    let at = format!(
        "{}.{:03}",
        (meta.max_time - 1) / 1000,
        (meta.max_time - 1) % 1000
    );
    let range_s = (meta.max_time - meta.min_time) / 1000 + 5;
    let original = all_series(block);
    assert!(
        original.len() > 50,
        "expected many series, got {}",
        original.len()
    );
    let mut compared = 0;
    for (labels, samples) in &original {
        // A range selector returns every sample but staleness markers.
        let want: Vec<&(i64, f64)> = samples
            .iter()
            .filter(|(_, v)| v.to_bits() != STALE_NAN)
            .collect();
        if want.is_empty() {
            continue;
        }
        let q = format!("{}[{range_s}s]", selector_of(labels));
        let data = prom_b.api(&format!(
            "/api/v1/query?query={}&time={at}",
            http::encode(&q)
        ));
        let result = data["result"].as_array().unwrap();
        assert_eq!(result.len(), 1, "{q}: {data}");
        let got = points(&result[0]["values"]);
        assert_eq!(got.len(), want.len(), "{q}: sample count");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.0, w.0, "{q}: timestamps");
            assert!(
                g.1 == w.1 || (g.1.is_nan() && w.1.is_nan()),
                "{q}: {g:?} != {w:?}"
            );
        }
        compared += 1;
    }
    assert!(compared > 50, "compared only {compared} series");
}

/// Every series of a block with all its samples, read through the library.
fn all_series(block: &Path) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let b = Block::open(block).unwrap();
    let mut out = Vec::new();
    for id in b.index().all_postings().unwrap() {
        let s = b.index().series(id).unwrap();
        let mut samples = Vec::new();
        b.read_samples(&s, i64::MIN, i64::MAX, &mut samples)
            .unwrap();
        out.push((s.labels, samples));
    }
    out
}

/// A PromQL selector matching exactly these labels.
fn selector_of(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| format!("{}={}", l.name, serde_json::to_string(&l.value).unwrap()))
        .collect();
    format!("{{{}}}", parts.join(","))
}
