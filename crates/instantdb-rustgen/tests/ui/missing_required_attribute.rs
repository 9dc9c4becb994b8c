#[path = "schema/todo.rs"]
mod db;

use db::{NewTodo, Todo, TodoId};

fn main() {
    // `createdAt` and `done` are required.
    let _ = Todo::tx(TodoId::new()).create(&NewTodo {
        priority: None,
        tags: None,
        text: "Ship it".to_owned(),
    });
}
