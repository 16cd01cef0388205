use tokio::sync::mpsc;

use crate::Job;

#[derive(Clone)]
pub struct Broker {
    channel: lapin::Channel,
}

impl Broker {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
        let channel = conn.create_channel().await?;
        Ok(Self { channel })
    }

    pub async fn pump_into(&self, tx: mpsc::Sender<Job>) -> anyhow::Result<()> {
        use futures::StreamExt;
        let mut consumer = self
            .channel
            .basic_consume("jobs", "worker", Default::default(), Default::default())
            .await?;
        while let Some(delivery) = consumer.next().await {
            let delivery = delivery?;
            let job: Job = serde_json::from_slice(&delivery.data)?;
            tx.send(job).await?;
        }
        Ok(())
    }

    pub async fn ack(&self, tag: u64) -> anyhow::Result<()> {
        self.channel.basic_ack(tag, Default::default()).await?;
        Ok(())
    }

    pub async fn poll_dead_letters(&self) -> anyhow::Result<Vec<Job>> {
        let got = self.channel.basic_get("jobs.dead", Default::default()).await?;
        Ok(got.into_iter().filter_map(|m| serde_json::from_slice(&m.delivery.data).ok()).collect())
    }
}
