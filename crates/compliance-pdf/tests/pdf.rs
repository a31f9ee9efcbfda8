//! The PDF is read back as text (pdftotext), as an auditor's tools would, and must hold the
//! key figures.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod packages;

use compliance_pdf::render;
use packages::demo as package;

fn text_of(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn document(content: &compliance_core::package::PackageContent) -> Vec<u8> {
    render(&packages::document("Acme Ünïcorp", content)).unwrap()
}

#[test]
fn the_pdf_holds_the_key_figures_and_stays_small() {
    let content = package("triage-agent Ωmega");
    let pdf = document(&content);
    // Set to keep the PDF for a look (e.g. with pdftoppm).
    if let Some(path) = std::env::var_os("COMPLIANCE_PDF_OUT") {
        std::fs::write(path, &pdf).unwrap();
    }
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.len() < 1_500_000, "{} bytes", pdf.len());
    let text = text_of(&pdf);
    for needle in [
        "COMPLIANCE PACKAGE",
        "triage-agent Ωmega",
        "Acme Ünïcorp",
        "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
        "1. Execution graph",
        "1255",
        "2026-03-15T10:00:00Z",
        "2. Data flow diagram",
        "Policy engine",
        "Audit trail",
        "CrowdStrike (crowdstrike)",
        "3. Vendor security questionnaire",
        "IAM-05.1",
        "4. Sub-processors",
        "5. SOC 2 control mappings",
        "CC6.1",
        "Drift resolved within 24 hours",
        "page 2",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the PDF text:\n{text}"
        );
    }
}

#[test]
fn characters_the_font_lacks_are_shown_as_code_points() {
    let pdf = document(&package("エージェント 日本 😴"));
    let text = text_of(&pdf);
    assert!(text.contains("[U+65E5][U+672C]"), "{text}");
    // The font draws the emoji, but the PDF's text layer cannot say it (printpdf writes four
    // hex digits), so it is printed as its code point rather than read back as another one.
    assert!(text.contains("[U+1F634]"), "{text}");
}

#[test]
fn names_too_long_for_a_line_still_render() {
    let long = "x".repeat(200);
    let pdf = document(&package(&format!("{long} and\u{0007}control")));
    let text = text_of(&pdf);
    assert!(text.contains("xxxxxxxxxxxxxxxxxxxx"), "{text}");
    assert!(text.contains("[U+0007]"), "{text}");
}

/// The PDF is part of what a package's attestation signs: the same package renders to the same
/// bytes on every download, on every server, whatever was rendered before it.
#[test]
fn a_package_renders_to_the_same_bytes_every_time() {
    let content = packages::demo("triage-agent");
    let first = document(&content);
    // Another package in between moves printpdf's generator of ids on.
    let _ = document(&packages::hostile());
    let second = document(&content);
    assert!(first == second, "two renders of one package differ");
    let parsed = lopdf::Document::load_mem(&first).unwrap();
    let info = parsed.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = parsed.get_object(info).unwrap().as_dict().unwrap();
    let created = info.get(b"CreationDate").unwrap().as_str().unwrap();
    // The package's own generation time, not the time of the download.
    assert_eq!(
        created,
        b"D:20260410170000+00'00'",
        "{}",
        String::from_utf8_lossy(created)
    );
    // Another package (another seal) has another document id.
    let mut other = packages::document("Acme Ünïcorp", &content);
    other.content_sha256 = "ab".repeat(32).leak();
    let other = render(&other).unwrap();
    let id = |pdf: &[u8]| {
        format!(
            "{:?}",
            lopdf::Document::load_mem(pdf)
                .unwrap()
                .trailer
                .get(b"ID")
                .unwrap()
        )
    };
    assert_ne!(id(&first), id(&other));
}

/// How many images the PDF embeds.
fn images_in(pdf: &[u8]) -> usize {
    let document = lopdf::Document::load_mem(pdf).unwrap();
    document
        .objects
        .values()
        .filter(|object| {
            object.as_stream().is_ok_and(|stream| {
                stream
                    .dict
                    .get(b"Subtype")
                    .and_then(lopdf::Object::as_name)
                    .is_ok_and(|name| name == b"Image")
            })
        })
        .count()
}

#[test]
fn the_orgs_branding_names_it_and_shows_its_logo() {
    let content = package("triage-agent");
    let plain = document(&content);
    assert_eq!(images_in(&plain), 0, "no logo set, no image");
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="90" height="30"><rect width="90" height="30" fill="#0b5394"/></svg>"##;
    let logo = compliance_pdf::logo::check(compliance_pdf::logo::SVG, svg).unwrap();
    let mut branded = packages::document("acme", &content);
    branded.branding = compliance_pdf::Branding {
        display_name: Some("Acme Security Ünïcorp"),
        accent: Some(compliance_pdf::Accent::parse("#0b5394").unwrap()),
        logo: Some(&logo.raster),
    };
    let pdf = render(&branded).unwrap();
    assert_eq!(images_in(&pdf), 1, "the logo, once, on the title page");
    let text = text_of(&pdf);
    assert!(
        text.contains("Acme Security Ünïcorp (account acme)"),
        "the title page names the org both ways"
    );
    let headers = text
        .matches("Acme Security Ünïcorp · triage-agent · compliance package v3")
        .count();
    assert!(headers > 5, "every page's running header: {headers}");
    assert!(!text.contains("acme · triage-agent"));
}
