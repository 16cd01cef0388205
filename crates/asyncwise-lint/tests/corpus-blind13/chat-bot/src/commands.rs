use std::sync::Arc;
use std::time::Duration;

use crate::api::{Client, Directory, RoomEvent};
use crate::storage::{self, Store};

pub async fn handle(client: Client, store: Arc<Store>, event: RoomEvent) -> anyhow::Result<()> {
    let Some(rest) = event.body.strip_prefix('!') else {
        return Ok(());
    };
    let (cmd, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    match cmd {
        "remind" => {
            store.add_reminder(&event.room_id, arg)?; // @helper //~? blocking_in_async
            client.send_text(&event.room_id, "noted").await?;
        }
        "weather" => {
            let url = format!("https://wttr.in/{}?format=3", arg.trim());
            let line = reqwest::blocking::get(url)?.text()?; //~ blocking_in_async
            client.send_text(&event.room_id, &line).await?;
        }
        "whois" => {
            let name = client.display_name(arg).await?;
            let topic = client.room_topic(&event.room_id).await?;
            client.send_text(&event.room_id, &format!("{name} in {topic}")).await?;
        }
        "roll" => {
            storage::throttle(&event.sender); // @helper //~ blocking_in_async
            let n = storage::roll(arg); // @helper
            client.send_text(&event.room_id, &n.to_string()).await?;
        }
        _ => {}
    }
    Ok(())
}

pub async fn room_card(client: &Client, directory: &Directory, room: &str) -> anyhow::Result<String> {
    let members = directory.member_count(room).await?; //~ sequential_await
    let topic = client.room_topic(room).await?;
    Ok(format!("{topic} ({members} members)"))
}

pub async fn greet_all(client: &Client, rooms: &[String]) {
    for room in rooms {
        if let Err(e) = client.send_text(room, "back online").await {
            tracing::warn!(%room, error = %e, "greeting failed");
        }
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}
