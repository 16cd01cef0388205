//! Invoices: rendering is pure string work; archiving writes a file.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::db::Order;

pub fn invoice_text(order: &Order) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Invoice #{}", order.id);
    let _ = writeln!(out, "Customer: {}", order.customer);
    let _ = writeln!(out, "Total: {}", format_cents(order.total_cents));
    out
}

pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

pub fn archive_invoice(dir: &Path, order: &Order) -> io::Result<()> {
    let tmp = dir.join(format!(".{}.txt.tmp", order.id));
    std::fs::write(&tmp, invoice_text(order))?;
    std::fs::rename(&tmp, dir.join(format!("{}.txt", order.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Order {
        Order {
            id: 7,
            customer: "ACME".into(),
            total_cents: 12_345,
            status: "open".into(),
        }
    }

    #[test]
    fn formats_cents() {
        assert_eq!(format_cents(12_345), "123.45");
    }

    #[test]
    fn archives_to_the_invoice_dir() {
        let dir = std::env::temp_dir();
        archive_invoice(&dir, &sample()).unwrap(); // @helper
        assert!(dir.join("7.txt").is_file());
    }

    #[tokio::test]
    async fn archived_text_matches_rendered_text() {
        let dir = std::env::temp_dir();
        archive_invoice(&dir, &sample()).unwrap(); // @helper //~ blocking_in_async
        let text = tokio::fs::read_to_string(dir.join("7.txt")).await.unwrap();
        assert_eq!(text, invoice_text(&sample())); // @helper
    }
}
