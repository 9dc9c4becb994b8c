#[path = "schema/todo.rs"]
mod db;

use db::{Todo, todos};

fn main() {
    // `title` is not an attribute of `todos` (it has `text`).
    let _ = Todo::query().where_(todos::title.eq("Ship it"));
}
