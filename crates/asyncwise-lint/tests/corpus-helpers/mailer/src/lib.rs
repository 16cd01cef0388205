//! Outgoing mail: a queue drained by one worker, plus an immediate path for urgent mail.

mod queue;
mod smtp;
mod templates;

pub use queue::{MailError, Mailer, Outgoing};
pub use smtp::SmtpConfig;
