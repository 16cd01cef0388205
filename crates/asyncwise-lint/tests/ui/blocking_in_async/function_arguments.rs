// A function named by its path as the argument of a combinator that calls it on this thread
// (`Option::map`, `Result::and_then`, an iterator's `map`/`for_each` consumed in place) is a call
// of that function here. Readings: a path of two or more segments or a name a `use` or an item
// of the module gives is a function; a local variable holding a closure, a constructor (`Some`,
// `Ok`) and a function handed to a method that stores it are not calls.
use std::fs::read_to_string;

mod secrets {
    pub fn check(candidate: &str) -> bool {
        bcrypt::verify(candidate, "$2b$12$stored").unwrap_or(false)
    }
}

pub async fn load_templates(names: Vec<String>) -> Vec<String> {
    let texts = names
        .iter()
        .map(std::fs::read_to_string) //~ blocking_in_async
        .filter_map(Result::ok)
        .collect();
    refresh().await;
    texts
}

pub async fn login(password: Option<String>) -> bool {
    let ok = password.as_deref().is_some_and(secrets::check); //~ blocking_in_async
    refresh().await;
    ok
}

pub async fn imported(path: Option<String>) -> Option<String> {
    let text = path.and_then(|p| Some(p)).map(read_to_string); //~ blocking_in_async
    refresh().await;
    text.and_then(Result::ok)
}

pub async fn closures_and_constructors(path: Option<String>) -> Option<usize> {
    let measure = |p: String| p.len();
    let length = path.clone().map(measure); // ok: a local closure, not a blocking function
    let wrapped = path.map(Some); // ok: a constructor
    refresh().await;
    length.or(wrapped.flatten().map(|p| p.len()))
}

pub async fn stored(registry: &mut Registry) {
    registry.register(std::fs::read_to_string); // ok: stored for later, not called here
    refresh().await;
}

pub struct Registry;

impl Registry {
    pub fn register(&mut self, _load: fn(&str) -> std::io::Result<String>) {}
}

async fn refresh() {}
