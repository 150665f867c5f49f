//! The in-memory commit log, consume queues and indexes (engineer B replaces this placeholder).
