//! The README's configuration reference is generated from the doc comments of the config types
//! in `src/config.rs`; this test fails when the two drift apart. Regenerate with
//! `ASYNCWISE_BLESS=1 cargo test -p asyncwise-lint --test config_reference`.

use std::path::Path;

use quote::ToTokens;

const START: &str = "<!-- config:start -->\n";
const END: &str = "<!-- config:end -->";

/// The doc comment of an item or field, lines joined with spaces.
fn doc(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join(" ").trim().to_owned()
}

/// What a user writes for a field of this Rust type.
fn toml_type(ty: &syn::Type) -> &'static str {
    let text = ty.to_token_stream().to_string().replace(' ', "");
    match text.as_str() {
        "Vec<String>" => "list of strings",
        "Option<bool>" | "bool" => "boolean",
        "BTreeMap<String,Level>" => "table of levels",
        "Vec<BlockingFn>" | "Vec<Override>" => "list of tables",
        other => panic!("add a TOML name for the Rust type `{other}` in this test"),
    }
}

fn struct_named<'f>(file: &'f syn::File, name: &str) -> &'f syn::ItemStruct {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("src/config.rs has no struct {name}"))
}

fn reference(source: &str) -> (String, Vec<String>) {
    let file = syn::parse_file(source).unwrap();
    let config = struct_named(&file, "Config");
    let mut out = String::from("| key | type | meaning |\n| --- | --- | --- |\n");
    let mut keys = Vec::new();
    for field in &config.fields {
        let name = field.ident.as_ref().unwrap().to_string();
        let text = doc(&field.attrs).replace('|', "\\|");
        out.push_str(&format!(
            "| `{name}` | {} | {text} |\n",
            toml_type(&field.ty)
        ));
        keys.push(name);
    }
    let level = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Enum(e) if e.ident == "Level" => Some(e),
            _ => None,
        })
        .expect("src/config.rs has enum Level");
    out.push_str("\nLevels:");
    for variant in &level.variants {
        out.push_str(&format!(
            " `\"{}\"` ({})",
            variant.ident.to_string().to_lowercase(),
            doc(&variant.attrs).trim_end_matches('.').to_lowercase()
        ));
        out.push(',');
    }
    out.pop();
    out.push_str(".\n");
    (out, keys)
}

#[test]
fn readme_config_reference_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/config.rs")).unwrap();
    let (generated, keys) = reference(&source);
    assert_eq!(
        keys,
        asyncwise_lint::config::CONFIG_KEYS,
        "CONFIG_KEYS (used for \"did you mean\") must list the fields of Config in order"
    );
    let readme_path = root.join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let start = readme
        .find(START)
        .expect("README has <!-- config:start -->")
        + START.len();
    let end = readme.find(END).expect("README has <!-- config:end -->");
    if std::env::var_os("ASYNCWISE_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(&readme_path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        generated,
        "the README's configuration reference is stale: run \
         `ASYNCWISE_BLESS=1 cargo test -p asyncwise-lint --test config_reference`"
    );
}
