// A command-line program: `main` parses its arguments and runs one command to its end. Code
// that runs while no other task can — reached from `main` only through functions that run
// alone, before anything concurrent starts — blocks nobody: the pedantic form. The call graph
// goes through the parser's `Cli::parse()`, a struct field's type and the variants of the
// command enum.
mod commands;
mod settings;

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

impl Cli {
    fn run(self) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(self.command.run())
    }
}

fn main() -> Result<(), String> {
    Cli::parse().run()
}
