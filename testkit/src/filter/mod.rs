//! Tag and SQL92 message filters (engineer B replaces this placeholder).
