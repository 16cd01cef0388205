/// An index kept in memory, whose methods share names with `Path`'s.
#[derive(Default)]
pub struct Index {
    names: Vec<String>,
}

impl Index {
    pub fn exists(&self) -> bool {
        !self.names.is_empty()
    }

    pub fn read_dir(&self) -> std::slice::Iter<'_, String> {
        self.names.iter()
    }
}

pub struct Store {
    pub root: Index,
}

pub struct Holder {
    pub index: Index,
}

impl Holder {
    pub fn new() -> Self {
        Holder { index: Index::default() }
    }

    pub fn index(&self) -> &Index {
        &self.index
    }
}
