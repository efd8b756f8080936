//! Every verb of the `ferry` command line against a real owner.
