//! Printing results: one JSON value on stdout with `--json`, readable lines otherwise.
//! Logs go to stderr, so stdout stays machine-readable.

use serde_json::Value;

pub fn print(json: bool, value: &Value, human: impl FnOnce() -> String) {
    if json {
        println!("{value}");
    } else {
        println!("{}", human());
    }
}
