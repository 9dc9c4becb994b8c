#[path = "schema/todo.rs"]
mod db;

use db::{Todo, todos};

fn main() {
    // `text` is not indexed: the server refuses comparisons on it.
    let _ = Todo::query().where_(todos::text.gt("m"));
}
