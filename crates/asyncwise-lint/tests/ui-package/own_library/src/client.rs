// One user command per run of the client binary: each command runs alone.
pub enum Command {
    Edit(String),
    Remove(u32),
}

impl Command {
    pub fn from_args(args: Vec<String>) -> Command {
        match args.first() {
            Some(name) => Command::Edit(name.clone()),
            None => Command::Remove(0),
        }
    }
}

pub async fn handle(command: Command) -> Result<(), String> {
    match command {
        Command::Edit(name) => edit(&name).await,
        Command::Remove(id) => remove(id).await,
    }
}

async fn edit(name: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(name).map_err(|e| e.to_string())?; //~ blocking_in_async(pedantic)
    std::fs::write(name, text.trim()).map_err(|e| e.to_string()) //~ blocking_in_async(pedantic)
}

async fn remove(id: u32) -> Result<(), String> {
    if confirm(id) { //~ blocking_in_async(pedantic)
        Ok(())
    } else {
        Err("cancelled".into())
    }
}

fn confirm(id: u32) -> bool {
    println!("remove task {id}? [y/N]");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "y"
}
