//! Run with: cargo run --example openai_compatible --features reqwest
fn main() {}
