//! Macro invocations: their bodies are parsed from tokens ([`macros`])
//! and walked like ordinary code; `write!`-like macros also record a write through their first
//! argument when its type blocks.

use syn::visit::Visit;

use super::super::Loc;
use super::super::macros::{self, MacroBody};
use super::Walker;
use crate::knowledge::macros as macro_kinds;

impl Walker {
    pub(super) fn visit_macro_body(&mut self, mac: &syn::Macro) {
        match macros::body(mac) {
            MacroBody::Exprs(exprs) => {
                let name = macros::name(mac);
                if macro_kinds::WRITE_MACROS.contains(&name.as_str()) {
                    self.record_io(&format!("{name}!"), exprs.first(), Loc::mac(mac));
                }
                exprs.iter().for_each(|e| self.visit_expr(e));
            }
            MacroBody::Stmts(stmts) => {
                let block = syn::Block {
                    brace_token: Default::default(),
                    stmts,
                };
                self.visit_block(&block);
            }
            MacroBody::Opaque => {}
        }
    }
}
