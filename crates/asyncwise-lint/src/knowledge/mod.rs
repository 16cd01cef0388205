//! What asyncwise knows about libraries, as data tables. (Being built.)
