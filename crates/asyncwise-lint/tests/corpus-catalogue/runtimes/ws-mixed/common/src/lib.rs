//! Catalogue corpus: shared helpers of the workspace, tokio only.

use std::time::Duration;

pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}
