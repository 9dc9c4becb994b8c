#[path = "schema/todo.rs"]
mod db;

use db::{Todo, TodoId, todos};

fn main() {
    // `owner` points at `profiles`, not at another todo.
    let other = TodoId::new();
    let _ = Todo::tx(TodoId::new()).link(todos::owner, &other);
}
