//! PDF render time and size for a package shaped like the demo's (two connectors, ~1,255
//! entries, four policies) and for a hostile one (300-character words, wide glyphs, 100 data
//! categories of 200 characters), beside each package's JSON serialization as the baseline.
#![allow(clippy::expect_used, clippy::unwrap_used)] // fixed, known-good inputs

#[path = "../tests/packages/mod.rs"]
mod packages;

use std::time::{Duration, Instant};

use compliance_core::package::PackageContent;
use compliance_pdf::render;

/// The median of `runs` timings of `f`, with the size it returned.
fn time(runs: usize, f: &dyn Fn() -> usize) -> (Duration, usize) {
    let mut timings: Vec<(Duration, usize)> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let size = f();
            (started.elapsed(), size)
        })
        .collect();
    timings.sort();
    timings[timings.len() / 2]
}

fn measure(name: &str, content: &PackageContent, runs: usize) {
    let document = packages::document("demo", content);
    let (pdf, size) = time(runs, &|| render(&document).unwrap().len());
    let (json, json_size) = time(runs, &|| serde_json::to_vec(content).unwrap().len());
    println!(
        "| {name}: PDF (render + compress) | median of {runs} | {:.1} ms | {} KB |",
        pdf.as_secs_f64() * 1e3,
        size / 1000
    );
    println!(
        "| {name}: JSON of the same package (baseline) | median of {runs} | {:.3} ms | {} KB |",
        json.as_secs_f64() * 1e3,
        json_size / 1000
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument names the one package to measure.
    let only = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    println!("| output | runs | time | size |");
    println!("|---|---|---:|---:|");
    if only.as_deref().is_none_or(|o| o == "demo") {
        measure("demo", &packages::demo("triage-agent"), 7);
    }
    if only.as_deref().is_none_or(|o| o == "hostile") {
        measure("hostile", &packages::hostile(), 3);
    }
}
