// Readings: a loop that asks a person for input on its way round (a stdin read, a dialoguer
// or inquire prompt) waits for that answer between attempts: not an immediate retry. A loop
// that only prints a message goes round at once and is still one.
use std::io::BufRead;

async fn login_until_accepted(client: &Client) -> Session {
    loop {
        let password = dialoguer::Password::new().with_prompt("password").interact().unwrap();
        match client.login(&password).await { // ok: the next attempt waits for the person
            Ok(session) => break session,
            Err(e) => eprintln!("login failed: {e}"),
        }
    }
}

async fn connect_or_ask(client: &Client) -> Session {
    loop {
        match client.connect().await { // ok: waits for a line on stdin before going round
            Ok(session) => break session,
            Err(_) => {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).unwrap(); //~ blocking_in_async
            }
        }
    }
}

async fn connect_and_print(client: &Client) -> Session {
    loop {
        match client.connect().await { //~ retry_without_backoff
            Ok(session) => break session,
            Err(e) => eprintln!("connect failed: {e}"),
        }
    }
}
