//! Gateway event handler for the community bot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serenity::client::{Context, EventHandler};
use serenity::model::channel::Message;
use serenity::model::gateway::Ready;
use serenity::model::guild::Member;
use serenity::model::id::{ChannelId, GuildId, UserId};
use tokio::sync::RwLock;
use tracing::{debug, error, info, warn};

use crate::commands::{parse_command, BotCommand};
use crate::db::Database;

const COOLDOWN: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct Stats {
    pub commands: u64,
    pub errors: u64,
}

#[derive(Clone)]
pub struct GuildConfig {
    pub prefix: String,
    pub welcome: Option<ChannelId>,
}

pub struct Handler {
    cooldowns: Mutex<HashMap<UserId, Instant>>,
    stats: Arc<Mutex<Stats>>,
    guild_cfg: Arc<RwLock<HashMap<GuildId, GuildConfig>>>,
    db: Database,
}

impl Handler {
    pub fn new(db: Database) -> Self {
        Self {
            cooldowns: Mutex::new(HashMap::new()),
            stats: Arc::new(Mutex::new(Stats::default())),
            guild_cfg: Arc::new(RwLock::new(HashMap::new())),
            db,
        }
    }

    fn record_error(&self) {
        self.stats.lock().unwrap().errors += 1;
    }

    async fn dispatch(&self, ctx: &Context, msg: &Message, cmd: BotCommand) -> anyhow::Result<()> {
        match cmd {
            BotCommand::Weather(city) => {
                let url = format!("https://wttr.in/{}?format=3", urlencoding::encode(&city));
                let body = reqwest::blocking::get(&url)?.text()?; //~ blocking_in_async
                msg.channel_id.say(&ctx.http, body).await?;
            }
            BotCommand::Stats => {
                let stats = self.stats.lock().unwrap(); //~ lock_across_await
                let text = format!("{} commands, {} errors", stats.commands, stats.errors);
                msg.reply(&ctx.http, text).await?;
            }
            BotCommand::Remind(delay, text) => {
                let http = ctx.http.clone();
                let channel = msg.channel_id;
                tokio::spawn(async move { //~ detached_task
                    tokio::time::sleep(delay).await;
                    channel.say(&http, text).await?;
                    Ok::<_, serenity::Error>(())
                });
                msg.react(&ctx.http, '\u{23F0}').await?;
            }
            BotCommand::Purge(n) => {
                let messages = msg
                    .channel_id
                    .messages(&ctx.http, |r| r.before(msg.id).limit(n))
                    .await?;
                for m in messages {
                    let http = ctx.http.clone();
                    tokio::spawn(async move { //~ unbounded_spawn
                        if let Err(e) = m.delete(&http).await {
                            warn!(error = %e, "failed to delete message");
                        }
                    });
                }
            }
            BotCommand::Ping => {
                let started = Instant::now();
                let mut reply = msg.reply(&ctx.http, "pong").await?;
                let rtt = started.elapsed();
                reply.edit(&ctx, |m| m.content(format!("pong ({rtt:?})"))).await?;
            }
            BotCommand::Top => {
                let top = self.db.top_users(10).await?;
                let lines: Vec<String> = top.iter().map(|(u, n)| format!("<@{u}>: {n}")).collect();
                msg.channel_id.say(&ctx.http, lines.join("\n")).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to gateway");
        let http = ctx.http.clone();
        let db = self.db.clone();
        let cfg = Arc::clone(&self.guild_cfg);
        tokio::spawn(async move { //~ detached_task
            let guilds = db.load_guild_configs().await.expect("guild table readable");
            let mut map = cfg.write().await;
            for (id, conf) in guilds {
                if http.get_guild(id).await.is_ok() { //~ sequential_await
                    map.insert(id, conf);
                }
            }
            debug!(n = map.len(), "guild configs loaded");
        });
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.author.bot {
            return;
        }
        let Some(guild_id) = msg.guild_id else { return };
        let prefix = match self.guild_cfg.read().await.get(&guild_id) {
            Some(c) => c.prefix.clone(),
            None => "!".to_owned(),
        };
        let Some(cmd) = parse_command(&msg.content, &prefix) else { return };

        if let Some(last) = self.cooldowns.lock().unwrap().get(&msg.author.id).copied() { //~ lock_across_await
            if last.elapsed() < COOLDOWN {
                let _ = msg.reply(&ctx.http, "slow down").await;
                return;
            }
        }
        {
            let mut cooldowns = self.cooldowns.lock().unwrap();
            cooldowns.insert(msg.author.id, Instant::now());
        }
        self.stats.lock().unwrap().commands += 1;

        if let Err(e) = self.dispatch(&ctx, &msg, cmd).await {
            self.record_error();
            error!(error = %e, "command failed");
            let _ = msg.reply(&ctx.http, "something went wrong").await;
        }
    }

    async fn guild_member_addition(&self, ctx: Context, member: Member) {
        let cfg = self.guild_cfg.read().await;
        if let Some(ch) = cfg.get(&member.guild_id).and_then(|c| c.welcome) {
            let _ = ch.say(&ctx.http, format!("welcome <@{}>!", member.user.id)).await;
        }
    }
}
