use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct TableMeta {
    pub name: String,
    pub level: usize,
    pub smallest: Vec<u8>,
    pub largest: Vec<u8>,
    pub size: u64,
}

#[derive(Default)]
pub struct Levels {
    tables: BTreeMap<usize, Vec<TableMeta>>,
}

pub struct Edit {
    pub removed: Vec<String>,
    pub added: Vec<TableMeta>,
}

impl Levels {
    pub fn tables(&self, level: usize) -> &[TableMeta] {
        self.tables.get(&level).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn apply(&mut self, edit: &Edit) {
        for tables in self.tables.values_mut() {
            tables.retain(|t| !edit.removed.contains(&t.name));
        }
        for t in &edit.added {
            self.tables.entry(t.level).or_default().push(t.clone());
        }
    }
}
