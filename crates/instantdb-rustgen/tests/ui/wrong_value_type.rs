#[path = "schema/todo.rs"]
mod db;

use db::{Todo, todos};

fn main() {
    // `done` is a boolean.
    let _ = Todo::query().where_(todos::done.eq("yes"));
}
