mod bridge;
mod uplink;

use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "0.0.0.0:1883".into());
    let upstream = std::env::args().nth(2).unwrap_or_else(|| "broker.internal:1883".into());
    smol::block_on(async {
        let uplink = uplink::Uplink::connect(&upstream).await?;
        let bridge = Arc::new(bridge::Bridge::new(uplink));
        bridge.start_metrics();
        bridge::serve(&addr, bridge).await
    })
}
