//! Rule-line syntax: the lossless [`Ast`] of every section, made by [`parse`].

mod ast;
mod parse;
mod print;

pub use ast::*;
pub use parse::{parse, parse_rule};
pub use print::describe;
