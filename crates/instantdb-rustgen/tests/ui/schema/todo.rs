use ::instantdb_admin::typed as rt;

/// An entity of `$files`, as queries return it. Link fields are filled when the query asks
/// for the link (`File::query().with(files::…)`), and empty otherwise.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct File {
    /// The entity's id.
    pub id: FileId,
    /// `path`: `i.string().unique().indexed()`.
    pub path: String,
    /// `url`: `i.string()`.
    pub url: String,
}

/// The id of an entity of `$files`.
pub type FileId = rt::Id<File>;

impl rt::Entity for File {
    const NAMESPACE: &'static str = "$files";
    type New = NewFile;
    type Update = FileUpdate;
}

impl File {
    /// A query of `$files`: `File::query().where_(…).limit(…)`.
    pub fn query() -> rt::Select<File> {
        rt::Select::new()
    }

    /// Operations on the entity `target` of `$files` (an id or a lookup).
    pub fn tx(target: impl rt::TxTarget<File>) -> rt::Tx<File> {
        rt::Tx::new(target)
    }
}

/// The attributes of a new entity of `$files` (`File::tx(id).create(&NewFile { … })`).
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct NewFile {
    /// `path`: `i.string().unique().indexed()`.
    pub path: String,
    /// `url`: `i.string()`.
    pub url: String,
}

/// Attributes to set on an entity of `$files` (`File::tx(id).update(&FileUpdate { …, ..Default::default() })`).
/// `None` leaves an attribute as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct FileUpdate {
    /// `path`: `i.string().unique().indexed()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `url`: `i.string()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The attributes and links of `$files`, for `where`, `order`, `with`, `link` and lookups.
#[allow(non_upper_case_globals)]
pub mod files {
    use super::rt;

    /// `id`.
    pub const id: rt::Attr<super::File, super::FileId> = rt::Attr::new("id");
    /// `path`: `i.string().unique().indexed()`.
    pub const path: rt::Attr<super::File, String, rt::OrderedUnique> = rt::Attr::new("path");
    /// `url`: `i.string()`.
    pub const url: rt::Attr<super::File, String> = rt::Attr::new("url");
}

/// An entity of `$users`, as queries return it. Link fields are filled when the query asks
/// for the link (`User::query().with(users::…)`), and empty otherwise.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct User {
    /// The entity's id.
    pub id: UserId,
    /// `email`: `i.string().unique().indexed().optional()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Link `profile`: one `profiles`.
    #[serde(
        default,
        deserialize_with = "rt::link_one",
        skip_serializing_if = "Option::is_none"
    )]
    pub profile: Option<Box<Profile>>,
}

/// The id of an entity of `$users`.
pub type UserId = rt::Id<User>;

impl rt::Entity for User {
    const NAMESPACE: &'static str = "$users";
    type New = NewUser;
    type Update = UserUpdate;
}

impl User {
    /// A query of `$users`: `User::query().where_(…).limit(…)`.
    pub fn query() -> rt::Select<User> {
        rt::Select::new()
    }

    /// Operations on the entity `target` of `$users` (an id or a lookup).
    pub fn tx(target: impl rt::TxTarget<User>) -> rt::Tx<User> {
        rt::Tx::new(target)
    }
}

/// The attributes of a new entity of `$users` (`User::tx(id).create(&NewUser { … })`).
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct NewUser {
    /// `email`: `i.string().unique().indexed().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Attributes to set on an entity of `$users` (`User::tx(id).update(&UserUpdate { …, ..Default::default() })`).
/// `None` leaves an attribute as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct UserUpdate {
    /// `email`: `i.string().unique().indexed().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
}

/// The attributes and links of `$users`, for `where`, `order`, `with`, `link` and lookups.
#[allow(non_upper_case_globals)]
pub mod users {
    use super::rt;

    /// `id`.
    pub const id: rt::Attr<super::User, super::UserId> = rt::Attr::new("id");
    /// `email`: `i.string().unique().indexed().optional()`.
    pub const email: rt::Attr<super::User, String, rt::OrderedUnique> = rt::Attr::new("email");
    /// Link `profile`: one `profiles`.
    pub const profile: rt::Link<super::User, super::Profile, rt::One> = rt::Link::new("profile");
}

/// An entity of `profiles`, as queries return it. Link fields are filled when the query asks
/// for the link (`Profile::query().with(profiles::…)`), and empty otherwise.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct Profile {
    /// The entity's id.
    pub id: ProfileId,
    /// `bio`: `i.string().optional()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// `displayName`: `i.string()`.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// `joinedAt`: `i.date().indexed()`.
    #[serde(rename = "joinedAt")]
    pub joined_at: rt::Timestamp,
    /// Link `user`: one `$users`.
    #[serde(
        default,
        deserialize_with = "rt::link_one",
        skip_serializing_if = "Option::is_none"
    )]
    pub user: Option<Box<User>>,
    /// Link `todos`: many `todos`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub todos: Vec<Todo>,
}

/// The id of an entity of `profiles`.
pub type ProfileId = rt::Id<Profile>;

impl rt::Entity for Profile {
    const NAMESPACE: &'static str = "profiles";
    type New = NewProfile;
    type Update = ProfileUpdate;
}

impl Profile {
    /// A query of `profiles`: `Profile::query().where_(…).limit(…)`.
    pub fn query() -> rt::Select<Profile> {
        rt::Select::new()
    }

    /// Operations on the entity `target` of `profiles` (an id or a lookup).
    pub fn tx(target: impl rt::TxTarget<Profile>) -> rt::Tx<Profile> {
        rt::Tx::new(target)
    }
}

/// The attributes of a new entity of `profiles` (`Profile::tx(id).create(&NewProfile { … })`).
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct NewProfile {
    /// `bio`: `i.string().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// `displayName`: `i.string()`.
    #[serde(rename = "displayName")]
    pub display_name: String,
    /// `joinedAt`: `i.date().indexed()`.
    #[serde(rename = "joinedAt")]
    pub joined_at: rt::Timestamp,
}

/// Attributes to set on an entity of `profiles` (`Profile::tx(id).update(&ProfileUpdate { …, ..Default::default() })`).
/// `None` leaves an attribute as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct ProfileUpdate {
    /// `bio`: `i.string().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<Option<String>>,
    /// `displayName`: `i.string()`.
    #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `joinedAt`: `i.date().indexed()`.
    #[serde(rename = "joinedAt", skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<rt::Timestamp>,
}

/// The attributes and links of `profiles`, for `where`, `order`, `with`, `link` and lookups.
#[allow(non_upper_case_globals)]
pub mod profiles {
    use super::rt;

    /// `id`.
    pub const id: rt::Attr<super::Profile, super::ProfileId> = rt::Attr::new("id");
    /// `bio`: `i.string().optional()`.
    pub const bio: rt::Attr<super::Profile, String> = rt::Attr::new("bio");
    /// `displayName`: `i.string()`.
    pub const display_name: rt::Attr<super::Profile, String> = rt::Attr::new("displayName");
    /// `joinedAt`: `i.date().indexed()`.
    pub const joined_at: rt::Attr<super::Profile, rt::Timestamp, rt::Ordered> =
        rt::Attr::new("joinedAt");
    /// Link `user`: one `$users`.
    pub const user: rt::Link<super::Profile, super::User, rt::One> = rt::Link::new("user");
    /// Link `todos`: many `todos`.
    pub const todos: rt::Link<super::Profile, super::Todo, rt::Many> = rt::Link::new("todos");
}

/// An entity of `todos`, as queries return it. Link fields are filled when the query asks
/// for the link (`Todo::query().with(todos::…)`), and empty otherwise.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct Todo {
    /// The entity's id.
    pub id: TodoId,
    /// `createdAt`: `i.date().indexed()`.
    #[serde(rename = "createdAt")]
    pub created_at: rt::Timestamp,
    /// `done`: `i.boolean()`.
    pub done: bool,
    /// `priority`: `i.number().indexed().optional()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<f64>,
    /// `tags`: `i.json().optional()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<rt::serde_json::Value>,
    /// `text`: `i.string()`.
    pub text: String,
    /// Link `owner`: one `profiles`.
    #[serde(
        default,
        deserialize_with = "rt::link_one",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<Box<Profile>>,
}

/// The id of an entity of `todos`.
pub type TodoId = rt::Id<Todo>;

impl rt::Entity for Todo {
    const NAMESPACE: &'static str = "todos";
    type New = NewTodo;
    type Update = TodoUpdate;
}

impl Todo {
    /// A query of `todos`: `Todo::query().where_(…).limit(…)`.
    pub fn query() -> rt::Select<Todo> {
        rt::Select::new()
    }

    /// Operations on the entity `target` of `todos` (an id or a lookup).
    pub fn tx(target: impl rt::TxTarget<Todo>) -> rt::Tx<Todo> {
        rt::Tx::new(target)
    }
}

/// The attributes of a new entity of `todos` (`Todo::tx(id).create(&NewTodo { … })`).
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct NewTodo {
    /// `createdAt`: `i.date().indexed()`.
    #[serde(rename = "createdAt")]
    pub created_at: rt::Timestamp,
    /// `done`: `i.boolean()`.
    pub done: bool,
    /// `priority`: `i.number().indexed().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<f64>,
    /// `tags`: `i.json().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<rt::serde_json::Value>,
    /// `text`: `i.string()`.
    pub text: String,
}

/// Attributes to set on an entity of `todos` (`Todo::tx(id).update(&TodoUpdate { …, ..Default::default() })`).
/// `None` leaves an attribute as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, rt::serde::Serialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct TodoUpdate {
    /// `createdAt`: `i.date().indexed()`.
    #[serde(rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<rt::Timestamp>,
    /// `done`: `i.boolean()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    /// `priority`: `i.number().indexed().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Option<f64>>,
    /// `tags`: `i.json().optional()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Option<rt::serde_json::Value>>,
    /// `text`: `i.string()`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The attributes and links of `todos`, for `where`, `order`, `with`, `link` and lookups.
#[allow(non_upper_case_globals)]
pub mod todos {
    use super::rt;

    /// `id`.
    pub const id: rt::Attr<super::Todo, super::TodoId> = rt::Attr::new("id");
    /// `createdAt`: `i.date().indexed()`.
    pub const created_at: rt::Attr<super::Todo, rt::Timestamp, rt::Ordered> =
        rt::Attr::new("createdAt");
    /// `done`: `i.boolean()`.
    pub const done: rt::Attr<super::Todo, bool> = rt::Attr::new("done");
    /// `priority`: `i.number().indexed().optional()`.
    pub const priority: rt::Attr<super::Todo, f64, rt::Ordered> = rt::Attr::new("priority");
    /// `tags`: `i.json().optional()`.
    pub const tags: rt::Attr<super::Todo, rt::serde_json::Value> = rt::Attr::new("tags");
    /// `text`: `i.string()`.
    pub const text: rt::Attr<super::Todo, String> = rt::Attr::new("text");
    /// Link `owner`: one `profiles`.
    pub const owner: rt::Link<super::Todo, super::Profile, rt::One> = rt::Link::new("owner");
}

/// The presence data of peers in rooms of type `todoList`.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct TodoListPresence {
    /// `name`: `i.string()`.
    pub name: String,
    /// `typing`: `i.boolean().optional()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing: Option<bool>,
}

/// A message of topic `celebrate` in rooms of type `todoList`.
#[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
#[serde(crate = "::instantdb_admin::typed::serde")]
pub struct TodoListCelebrateTopic {
    /// `todoId`: `i.string()`.
    #[serde(rename = "todoId")]
    pub todo_id: String,
}

/// The room types of the schema, for the admin presence API
/// (`rooms::<room>.get_presence(&client, room_id)`).
#[allow(non_upper_case_globals)]
pub mod rooms {
    use super::rt;

    /// Rooms of type `todoList`.
    pub const todo_list: rt::Room<super::TodoListPresence> = rt::Room::new("todoList");
}
