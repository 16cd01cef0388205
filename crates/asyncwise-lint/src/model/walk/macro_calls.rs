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
        let body = match macros::body(mac) {
            MacroBody::Exprs(exprs) => {
                let name = macros::name(mac);
                if macro_kinds::WRITE_MACROS.contains(&name.as_str()) {
                    self.record_io(&format!("{name}!"), exprs.first(), Loc::mac(mac));
                }
                exprs.iter().for_each(|e| self.visit_expr(e));
                MacroBody::Exprs(exprs)
            }
            MacroBody::Stmts(stmts) => {
                let block = syn::Block {
                    brace_token: Default::default(),
                    stmts,
                };
                self.visit_block(&block);
                MacroBody::Stmts(block.stmts)
            }
            MacroBody::Opaque => MacroBody::Opaque,
        };
        // The walk marks calls by address (awaited, discarded, bound): a body dropped here would
        // free its nodes' memory for the next macro body parsed, whose calls would then inherit
        // those marks (an `exists()` taken for awaited because an awaited call of an earlier
        // `assert!` sat at the same address). Moving the body keeps its heap nodes in place.
        self.macro_bodies.push(body);
    }
}
