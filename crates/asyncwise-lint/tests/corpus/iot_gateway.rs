//! Field gateway: collects sensor readings from the serial bus, UDP
//! sensors and legacy devices, and forwards them to the MQTT broker.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket as StdUdpSocket;
use std::time::Duration;

use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Receiver as CbReceiver};
use rumqttc::{AsyncClient, EventLoop, MqttOptions, QoS};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::codec::{decode_frame, Alert, ControlMsg, ModemStatus, Reading};
use crate::config::GatewayConfig;

/// Runs on a dedicated OS thread; the serial driver has no async API.
pub fn start_serial_reader(port_name: &str, baud: u32) -> Result<CbReceiver<Reading>> {
    let port = serialport::new(port_name, baud)
        .timeout(Duration::from_millis(500))
        .open()
        .with_context(|| format!("opening {port_name}"))?;
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("serial-rx".into())
        .spawn(move || {
            let mut reader = BufReader::new(port);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => match decode_frame(line.trim()) {
                        Ok(r) => {
                            if tx.send(r).is_err() {
                                break;
                            }
                        }
                        Err(e) => debug!(error = %e, "bad frame"),
                    },
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(e) => {
                        error!(error = %e, "serial read failed");
                        break;
                    }
                }
            }
        })?;
    Ok(rx)
}

pub async fn bridge_serial(rx: CbReceiver<Reading>, out: mpsc::Sender<Reading>) {
    let handle = tokio::task::spawn_blocking(move || {
        while let Ok(reading) = rx.recv() {
            if out.blocking_send(reading).is_err() {
                break;
            }
        }
    });
    if let Err(e) = handle.await {
        error!(error = %e, "serial bridge panicked");
    }
}

pub async fn poll_legacy_sensors(cfg: &GatewayConfig, out: mpsc::Sender<Reading>) -> Result<()> {
    let sock = StdUdpSocket::bind(cfg.legacy_bind).context("bind legacy udp")?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = [0u8; 512];
    loop {
        let (n, from) = sock.recv_from(&mut buf)?; //~ blocking_in_async
        match decode_frame(&String::from_utf8_lossy(&buf[..n])) {
            Ok(reading) => out.send(reading).await?,
            Err(e) => warn!(%from, error = %e, "legacy frame rejected"),
        }
    }
}

pub async fn listen_udp(cfg: &GatewayConfig, out: mpsc::Sender<Reading>) -> Result<()> {
    let sock = UdpSocket::bind(cfg.udp_bind).await?;
    let mut buf = vec![0u8; 1500];
    loop {
        let (n, from) = sock.recv_from(&mut buf).await?;
        let reading = match decode_frame(&String::from_utf8_lossy(&buf[..n])) {
            Ok(r) => r,
            Err(e) => {
                debug!(%from, error = %e, "udp frame rejected");
                continue;
            }
        };
        out.send(reading).await?;
    }
}

pub async fn wait_for_modem(status: std::sync::mpsc::Receiver<ModemStatus>) -> Result<()> {
    match status.recv_timeout(Duration::from_secs(30)) { //~ blocking_in_async
        Ok(ModemStatus::Online) => Ok(()),
        Ok(other) => anyhow::bail!("modem reported {other:?}"),
        Err(e) => Err(e).context("modem did not come up"),
    }
}

pub struct MqttUplink {
    client: AsyncClient,
    topic_prefix: String,
}

impl MqttUplink {
    pub fn connect(cfg: &GatewayConfig) -> (Self, EventLoop) {
        let mut opts = MqttOptions::new(&cfg.client_id, &cfg.broker_host, cfg.broker_port);
        opts.set_keep_alive(Duration::from_secs(15));
        let (client, eventloop) = AsyncClient::new(opts, 64);
        (Self { client, topic_prefix: cfg.topic_prefix.clone() }, eventloop)
    }

    pub fn spawn_event_loop(mut eventloop: EventLoop) {
        tokio::spawn(async move { //~ detached_task
            loop {
                let event = eventloop.poll().await.expect("mqtt connection lost");
                debug!(?event, "mqtt event");
            }
        });
    }

    pub async fn publish(&self, reading: &Reading) -> Result<()> {
        let topic = format!("{}/{}", self.topic_prefix, reading.sensor_id);
        let payload = serde_json::to_vec(reading)?;
        self.client.publish(topic, QoS::AtLeastOnce, false, payload).await?;
        Ok(())
    }

    pub async fn publish_batch(&self, readings: &[Reading]) {
        readings.iter().for_each(|r| {
            if let Err(e) = futures::executor::block_on(self.publish(r)) { //~ block_on_in_async
                warn!(error = %e, "publish failed");
            }
        });
    }
}

pub async fn run_gateway(cfg: GatewayConfig) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Reading>(1024);
    let (ctrl_tx, ctrl_rx) = crossbeam_channel::unbounded::<ControlMsg>(); //~ unbounded_channel
    let (alert_tx, alert_rx) = bounded::<Alert>(64);
    let (spill_tx, spill_rx) = flume::unbounded::<Reading>(); //~ unbounded_channel

    let (uplink, eventloop) = MqttUplink::connect(&cfg);
    MqttUplink::spawn_event_loop(eventloop);

    let serial = start_serial_reader(&cfg.serial_port, cfg.baud)?;
    let bridge = tokio::spawn(bridge_serial(serial, tx.clone()));
    let udp = tokio::spawn({
        let cfg = cfg.clone();
        let tx = tx.clone();
        async move { listen_udp(&cfg, tx).await }
    });

    while let Some(reading) = rx.recv().await {
        if reading.is_alarm() {
            let _ = alert_tx.try_send(Alert::from(&reading));
        }
        if let Err(e) = uplink.publish(&reading).await {
            warn!(error = %e, "uplink down, spilling to disk queue");
            let _ = spill_tx.send_async(reading).await;
        }
        if let Ok(cmd) = ctrl_rx.try_recv() {
            info!(?cmd, "control message");
        }
    }
    drop((ctrl_tx, alert_rx, spill_rx));
    bridge.await?;
    udp.await??;
    Ok(())
}
