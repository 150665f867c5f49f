//! Helpers shared by several `rmq-tests` test targets, one module per concern; a target
//! includes this with `mod support;` and uses the modules it needs.

pub mod rmq_admin;
