//! The local API under hostile clients, the peer-uid check and the data folder lock.
