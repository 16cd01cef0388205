use std::time::Duration;

use mqtt_lite::{Client, Options, QoS, Session};

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let (client, incoming) = Client::new(
            Options {
                broker: "192.168.1.10:1883".into(),
                client_id: "sensor-7".into(),
                keep_alive: Duration::from_secs(30),
            },
            Session::on_flash("/data/mqtt.session".into()),
        );
        let stream = client.connect().await?;
        let (_stop_tx, stop_rx) = async_channel::bounded(1);
        let reader = client.clone();
        let listener = smol::spawn(async move { reader.run(stream, stop_rx).await });
        for reading in 0..10u32 {
            let temp = std::fs::read_to_string("/sys/class/thermal/thermal_zone0/temp")?; //~ blocking_in_async(pedantic)
            client.publish("sensors/7/temp", temp.trim().as_bytes(), QoS::AtLeastOnce).await?;
            smol::Timer::after(Duration::from_secs(5)).await;
            log::debug!("reading {reading} sent");
        }
        drop(incoming);
        listener.cancel().await;
        Ok(())
    })
}
